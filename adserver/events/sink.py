"""The web process's side of the event pipeline: one Redis round trip per event, a spool when Redis is away.

`EventSink.emit` runs EMIT (`lua.py`): it drops replays, applies the per-address beacon rate limit,
books a CPC click's price, queues the event and counts it for `adserver events reconcile`. Each time
a full batch waits, the sink enqueues one persist job by its dotted path (`PERSIST_JOB`); the
worker's tick takes the tail. If Redis is unreachable the event goes to the `Spool` and is replayed
through the same script later: the once-markers and the SQL unique key keep it from counting twice.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import redis
from rq import Queue, Retry

from ..infra import metrics
from ..infra.keys import SINGLE, KeySpace
from ..infra.lua import EMIT, LuaScript
from ..infra.outage import OutageLog
from ..serving.budget import MICROS, budget_micros
from .event import OVER_BUDGET, RATE_LIMITED, Event, counts_field, rate_limited_field
from .spool import Spool

if TYPE_CHECKING:
    from ..serving.snapshot import Campaign

log = logging.getLogger(__name__)

EMITTED, DUPLICATE, SPOOLED = "emitted", "duplicate", "spooled"  # and RATE_LIMITED: what `emit` returns

# The job is named, not imported: the web side never loads the worker's SQL code (nor it the sink).
PERSIST_JOB = "adserver.events.jobs.persist_pending"


def enqueue_persist(conn: redis.Redis, queue_name: str) -> None:
    """One persist job for the events waiting in Redis."""
    Queue(queue_name, connection=conn).enqueue(
        PERSIST_JOB, job_timeout=300, retry=Retry(max=10, interval=[1, 2, 5, 10]), failure_ttl=7 * 86400
    )


class EventSink:
    """The web process's side of the pipeline."""

    def __init__(
        self,
        client: redis.Redis,
        spool: Spool,
        queue_name: str,
        batch_size: int = 500,
        seen_ttl: int = 86400,
        rate_limit: int = 120,
        rate_window: int = 60,
        campaign_of: Callable[[str], Campaign | None] | None = None,
        key_space: KeySpace = SINGLE,
        rq: redis.Redis | None = None,
    ):
        self.redis = client
        self.keys = key_space
        self.rq = client if rq is None else rq  # where rq's queues are (a plain Redis, even beside a cluster)
        self.spool = spool
        self.queue_name = queue_name
        self.batch_size = batch_size
        self.seen_ttl = seen_ttl
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self._script = LuaScript(client, EMIT)  # on every beacon
        self.outage = OutageLog(log)  # while Redis is away: one warning per interval, not one per call
        self.campaign_of = campaign_of  # campaign id -> its catalog entry, for replays to check budgets
        self._replayer: threading.Thread | None = None
        self._replayer_pid: int | None = None

    def _keys_args(self, event: Event, limit: bool, campaign=None, replay: bool = False) -> tuple[list[str], list]:
        # A live impression is booked, queued and marked seen by the budget script; a replayed one checks
        # and sets the same marker, so neither a lost reply nor a spool drained twice books or counts twice.
        # Every key is on the campaign's shard: the per-address limit counts that shard's beacons.
        ks_ = self.keys
        shard = ks_.shard(event.campaign_id)
        none = ks_.none(shard)
        once = event.event_type != "impression" or replay
        seen = ks_.seen(event.decision_id, event.event_type, shard) if once else none
        rate_key = ks_.beacon_rate(event.ip_hash, shard) if limit else none
        ks = [ks_.incoming(shard), ks_.counts(event.day, shard), seen, rate_key, none, none, none]
        args = [event.to_json(), counts_field(event), self.seen_ttl, self.rate_limit, self.rate_window, self.batch_size]
        args += ["", ""]
        if limit:  # where a refusal is counted
            ks[4] = ks_.rate_limited(shard)
            args[6] = rate_limited_field(event)
            args[7] = f"{event.campaign_id}:{event.event_type}:r"
        # A CPC click books its price here; so does a spooled CPM impression, whose budget script never ran.
        if event.billable and event.cost > 0 and (event.event_type == "click" or replay):
            ks[5:7] = ks_.spend(event.campaign_id, event.day)
            # Without the campaign (gone from the catalog since) the price is booked as it was billed.
            total, daily = budget_micros(campaign) if campaign is not None else (-1, -1)
            over = replace(event, billable=False, reason=OVER_BUDGET, cost=0.0)
            args += [int(round(event.cost * MICROS)), total, daily, over.to_json(), counts_field(over)]
        return ks, [*args, none]

    def emit(self, event: Event, limit: bool = False, campaign=None) -> str:
        """Queue one event; returns emitted | duplicate | rate_limited | spooled. Never raises for Redis.
        `limit`: under the per-address beacon limit (of its `ip_hash`). With its `campaign`, a CPC click
        is billed only within the campaign's budgets."""
        ks, args = self._keys_args(event, limit, campaign)
        try:
            n = self._script(keys=ks, args=args)
        except redis.RedisError as e:
            self.outage.warning("spool", "redis unavailable (%s): spooling events", type(e).__name__)
            self.spool_event(event)
            return SPOOLED
        result = DUPLICATE if n == -1 else RATE_LIMITED if n == -2 else EMITTED
        metrics.EVENTS.labels(event.event_type, result).inc()
        if result == EMITTED:
            self.pushed(n)
        return result

    def pushed(self, length: int) -> None:
        """An event was pushed (here or by the budget script) and its shard's list is now `length` long: one
        persist job each time a full batch is waiting. Not on the first event of a list: a worker
        that keeps up empties the list, so that would enqueue a job (and fork a work horse) per
        handful of events. The worker's one-second tick takes the tail."""
        if length % self.batch_size == 0:
            self._enqueue_batch_job()

    def spool_event(self, event: Event) -> None:
        """Keep an event Redis could not take; the replayer pushes it once Redis answers."""
        self.spool.append(event.to_json())
        self._start_replayer()
        metrics.EVENTS.labels(event.event_type, SPOOLED).inc()

    def _enqueue_batch_job(self) -> None:
        try:
            enqueue_persist(self.rq, self.queue_name)
        except redis.RedisError:  # the worker's tick will pick the events up
            self.outage.warning("enqueue", "could not enqueue a persist job; the worker tick will")

    def replay_spool(self, everyone: bool = False) -> int:
        """Push spooled events through the same script (dedupe markers apply; rate limits do not). What
        was billed while Redis was away is booked now, within the campaign's budgets like live traffic:
        past a budget it stays, as not billable ('over_budget')."""
        campaign_of = self.campaign_of or (lambda _id: None)

        def push(line: str) -> None:
            event = Event.from_json(line)
            ks, args = self._keys_args(event, False, campaign_of(event.campaign_id), replay=True)
            self._script(keys=ks, args=args)

        moved = self.spool.drain(push, everyone)
        if moved:
            self._enqueue_batch_job()
            log.info("replayed %d spooled events into Redis", moved)
        return moved

    def _start_replayer(self) -> None:
        if self._replayer_pid == os.getpid() and self._replayer and self._replayer.is_alive():
            return
        self._replayer_pid = os.getpid()
        self._replayer = threading.Thread(target=self._replay_loop, name="spool-replayer", daemon=True)
        self._replayer.start()

    def _spooled_here(self) -> bool:
        return any(f.name == f"events-{os.getpid()}.jsonl" for f in self.spool.files())

    def _replay_loop(self) -> None:
        """Retry until the spool is empty, then stop (a new outage starts a new loop)."""
        while True:
            time.sleep(1.0)
            self.spool.flush()
            if not self._spooled_here():  # drained meanwhile (an operator's replay, a test)
                return
            try:
                self.redis.ping()
                self.replay_spool()
                if not self._spooled_here():
                    return
            except redis.RedisError:
                continue
            except Exception:
                log.exception("spool replay failed; retrying")
