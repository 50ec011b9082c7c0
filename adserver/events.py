"""Impressions, views and clicks: from the request to a Redis buffer, never lost, never doubled.

Path of an event (see DESIGN.md):
1. The web process calls `EventSink.emit(event)`: ONE Redis round trip, a Lua script that (a) for
   views and clicks sets a once-per-decision marker and drops replays, (b) applies the per-IP
   rate limit to beacons (a refusal is only counted, in a bounded aggregate), (c) RPUSHes the
   event onto the `keys.INCOMING` list and
   (d) counts it in a per-day hash used by `adserver events reconcile`.
2. Each time a full batch is waiting (the list length reaches a multiple of the batch size) the same
   request enqueues one rq job (`jobs.persist_pending`); the worker ticks every second for the tail.
   One job per batch, not per event: an rq enqueue costs about as much as the decision.
3. The job moves up to N events into a batch list named after itself, writes them to SQL in one
   transaction (raw rows with ON CONFLICT DO NOTHING, rollups incremented only for rows actually
   inserted) and deletes the batch list. A worker killed mid-batch leaves the list in place; the
   retried job (or `adserver events replay`) finds it and writes it again: duplicates are ignored.
4. If Redis is unreachable, events are appended to a local spool file (fsync'd in batches) and
   replayed through the same script when Redis answers again. Nothing is lost; the once-markers
   and the SQL unique key keep replays from counting twice.
"""

from __future__ import annotations

import glob
import hashlib
import ipaddress
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import redis

from . import keys, metrics
from .bots import is_bot
from .lua import EMIT, LuaScript
from .outage import OutageLog

if TYPE_CHECKING:
    from .catalog import Campaign

log = logging.getLogger(__name__)

EVENT_TYPES = ("impression", "view", "click")


@dataclass(frozen=True)
class Event:
    """Plain data: what the worker writes as one row of `events`."""

    decision_id: str
    event_type: str
    campaign_id: str
    creative_id: str
    advertiser_id: str
    placement: str
    topic: str = ""
    hook_variant: str = ""
    score: float | None = None
    billable: bool = True
    reason: str = ""
    cost: float = 0.0
    occurred_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    ip_hash: str = ""
    ua_class: str = ""
    keywords: tuple[str, ...] = ()
    decided_on: str = ""  # UTC day of the decision (views, clicks: their link's); '' for an impression: its own

    @property
    def day(self) -> str:
        return self.occurred_at[:10]

    @property
    def decision_day(self) -> str:
        """The day `events` files this event under (its partition on PostgreSQL): the same for every copy."""
        return self.decided_on or self.occurred_at[:10]

    def to_json(self) -> str:
        # Flat fields only, so a plain dict beats dataclasses.asdict's recursive copy on the hot path.
        return orjson.dumps({f: getattr(self, f) for f in _FIELDS}).decode()

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        d = json.loads(raw)
        d["keywords"] = tuple(d.get("keywords") or ())
        return cls(**d)


_FIELDS = tuple(f.name for f in fields(Event))


def counts_field(event: Event) -> str:
    """Field of the per-day counts hash (`adserver events reconcile` compares it with SQL)."""
    return f"{event.campaign_id}:{event.event_type}:{'b' if event.billable else 'n'}"


def cost_of(event_type: str, pricing_model: str, price: float, billable: bool) -> float:
    """Spend booked for one event: CPM per thousand billable impressions, CPC per billable click."""
    if not billable:
        return 0.0
    if pricing_model == "cpm" and event_type == "impression":
        return price / 1000.0
    if pricing_model == "cpc" and event_type == "click":
        return price
    return 0.0


# --- who is asking -----------------------------------------------------------------------------


def is_prefetch(headers) -> bool:
    purpose = (headers.get("Sec-Purpose") or headers.get("Purpose") or headers.get("X-Moz") or "").lower()
    return "prefetch" in purpose or "prerender" in purpose


def non_billable_reason(user_agent: str, headers) -> str:
    """'' for a person's request, else why it is not billed (still counted, apart)."""
    if is_prefetch(headers):
        return "prefetch"
    if not user_agent:
        return "no_user_agent"
    if is_bot(user_agent):
        return "bot"
    return ""


def ip_hash(ip: str, salt: str) -> str:
    """Salted hash of the truncated address (/24 for IPv4, /48 for IPv6): never the raw IP."""
    try:
        # IPv4 (nearly every request): a strict parse by the C library, then drop the last octet.
        socket.inet_pton(socket.AF_INET, ip)
        truncated = ip.rsplit(".", 1)[0] + ".0"
    except OSError:
        try:
            net = ipaddress.ip_network(f"{ip}/48", strict=False) if ":" in ip else None
            truncated = str(net.network_address) if net else "invalid"
        except ValueError:
            truncated = "invalid"
    return hashlib.sha256(f"{salt}:{truncated}".encode()).hexdigest()[:32]


# --- web side: one round trip per event, spool when Redis is away ---------------------------------

EMITTED, DUPLICATE, RATE_LIMITED, SPOOLED = "emitted", "duplicate", "rate_limited", "spooled"
OVER_BUDGET = "over_budget"  # a CPC click, or a replayed impression, that came after the budget was spent


def rate_limited_field(event: Event) -> str:
    """The field of `keys.RATE_LIMITED` a refused beacon is counted in (JSON: no separator to escape)."""
    return json.dumps(
        [event.day, event.campaign_id, event.creative_id, event.placement, event.topic, event.event_type],
        separators=(",", ":"),
    )


class Spool:
    """Append-only local files for events Redis could not take; fsync'd every `sync_every` lines."""

    def __init__(self, directory: Path, sync_every: int = 50, sync_seconds: float = 0.5):
        self.dir = directory
        self.sync_every = sync_every
        self.sync_seconds = sync_seconds
        self._lock = threading.Lock()
        self._fh = None
        self._pending = 0
        self._last_sync = time.monotonic()

    def _path(self) -> Path:
        return self.dir / f"events-{os.getpid()}.jsonl"

    def append(self, line: str) -> None:
        with self._lock:
            if self._fh is None or self._fh.closed:
                self.dir.mkdir(parents=True, exist_ok=True)
                self._fh = open(self._path(), "a", encoding="utf-8")  # noqa: SIM115 (kept open on purpose)
            self._fh.write(line + "\n")
            self._pending += 1
            if self._pending >= self.sync_every or time.monotonic() - self._last_sync > self.sync_seconds:
                self._sync()

    def _sync(self) -> None:
        if self._fh and not self._fh.closed and self._pending:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._pending = 0
            self._last_sync = time.monotonic()

    def flush(self) -> None:
        with self._lock:
            self._sync()

    def files(self) -> list[Path]:
        return sorted(Path(p) for p in glob.glob(str(self.dir / "events-*.jsonl")))

    def size(self) -> int:
        return sum(1 for f in self.files() for _ in open(f, encoding="utf-8"))

    def drain(self, push, everyone: bool = False) -> int:
        """Hand spooled lines to `push(line)`; a file is removed only once all of it went through.

        By default only this process's own file (under the lock, so no append races the removal);
        `everyone` also takes the files of processes that are gone (the CLI's replay)."""
        moved = 0
        with self._lock:
            self._sync()
            if self._fh is not None:
                self._fh.close()
                self._fh = None
            for f in self.files():
                pid = int(f.name.split("-")[1].split(".")[0])
                if pid != os.getpid() and not (everyone and not process_alive(pid)):
                    continue
                with open(f, encoding="utf-8") as fh:
                    for line in fh:
                        if line.strip():
                            push(line.strip())
                            moved += 1
                f.unlink()
        return moved


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
    ):
        self.redis = client
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

    def _keys_args(self, event: Event, rate_key: str, campaign=None, replay: bool = False) -> tuple[list[str], list]:
        # A live impression is booked, queued and marked seen by the budget script; a replayed one checks
        # and sets the same marker, so neither a lost reply nor a spool drained twice books or counts twice.
        once = event.event_type != "impression" or replay
        seen = keys.seen(event.decision_id, event.event_type) if once else ""
        ks = [keys.INCOMING, keys.counts(event.day), seen, rate_key, "", "", ""]
        args = [event.to_json(), counts_field(event), self.seen_ttl, self.rate_limit, self.rate_window, self.batch_size]
        args += ["", ""]
        if rate_key:  # where a refusal is counted
            ks[4] = keys.RATE_LIMITED
            args[6] = rate_limited_field(event)
            args[7] = f"{event.campaign_id}:{event.event_type}:r"
        # A CPC click books its price here; so does a spooled CPM impression, whose budget script never ran.
        if event.billable and event.cost > 0 and (event.event_type == "click" or replay):
            from .pacing import MICROS, budget_micros

            ks[5:7] = keys.spend(event.campaign_id, event.day)
            # Without the campaign (gone from the catalog since) the price is booked as it was billed.
            total, daily = budget_micros(campaign) if campaign is not None else (-1, -1)
            over = replace(event, billable=False, reason=OVER_BUDGET, cost=0.0)
            args += [int(round(event.cost * MICROS)), total, daily, over.to_json(), counts_field(over)]
        return ks, args

    def emit(self, event: Event, rate_key: str = "", campaign=None) -> str:
        """Queue one event; returns emitted | duplicate | rate_limited | spooled. Never raises for Redis.
        With its `campaign`, a CPC click is billed only within the campaign's budgets."""
        ks, args = self._keys_args(event, rate_key, campaign)
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
        """An event was pushed (here or by the budget script) and the list is now `length` long: one
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
            from . import jobs

            jobs.enqueue_persist(self.redis, self.queue_name)
        except redis.RedisError:  # the worker's tick will pick the events up
            self.outage.warning("enqueue", "could not enqueue a persist job; the worker tick will")

    def replay_spool(self, everyone: bool = False) -> int:
        """Push spooled events through the same script (dedupe markers apply; rate limits do not). What
        was billed while Redis was away is booked now, within the campaign's budgets like live traffic:
        past a budget it stays, as not billable ('over_budget')."""
        campaign_of = self.campaign_of or (lambda _id: None)

        def push(line: str) -> None:
            event = Event.from_json(line)
            ks, args = self._keys_args(event, "", campaign_of(event.campaign_id), replay=True)
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

    def _replay_loop(self) -> None:
        """Retry until the spool is empty, then stop (a new outage starts a new loop)."""
        while True:
            time.sleep(1.0)
            self.spool.flush()
            try:
                self.redis.ping()
                self.replay_spool()
                if not any(f.name == f"events-{os.getpid()}.jsonl" for f in self.spool.files()):
                    return
            except redis.RedisError:
                continue
            except Exception:
                log.exception("spool replay failed; retrying")


# --- building events from what the web process knows ---------------------------------------------


HOUSE = "house"  # not-billable reason of every event on a house card (the publisher's own)


def from_decision(decision, reason: str, ip_h: str, ua_cls: str) -> Event:
    """The impression of a served decision (`decision.Decision`)."""
    c = decision.campaign
    reason = reason or (HOUSE if c.house else "")
    billable = not reason
    return Event(
        decision_id=decision.id,
        event_type="impression",
        campaign_id=c.id,
        creative_id=decision.creative.id,
        advertiser_id=c.advertiser_id,
        placement=decision.context.placement,
        topic=decision.context.topic,
        hook_variant=decision.hook_variant,
        score=decision.score,
        billable=billable,
        reason=reason,
        cost=cost_of("impression", c.pricing_model, c.price, billable),
        ip_hash=ip_h,
        ua_class=ua_cls,
        keywords=decision.context.keywords[:20],
    )


def from_tracking(tracked, campaign, reason: str, ip_h: str, ua_cls: str) -> Event:
    """A view or click from a verified tracking token (`tracking.TrackedEvent`) and its campaign."""
    reason = reason or (HOUSE if campaign is not None and campaign.house else "")
    billable = not reason
    return Event(
        decision_id=tracked.decision_id,
        event_type=tracked.event_type,
        campaign_id=tracked.campaign_id,
        creative_id=tracked.creative_id,
        advertiser_id=campaign.advertiser_id if campaign else "",
        placement=tracked.placement,
        topic=tracked.topic,
        hook_variant=tracked.hook_variant,
        billable=billable,
        reason=reason,
        cost=cost_of(tracked.event_type, campaign.pricing_model, campaign.price, billable) if campaign else 0.0,
        ip_hash=ip_h,
        ua_class=ua_cls,
        decided_on=datetime.fromtimestamp(tracked.issued_at, UTC).date().isoformat() if tracked.issued_at else "",
    )
