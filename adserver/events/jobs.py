"""rq jobs of the event pipeline: small named functions taking plain data, with idempotent effects.

`persist_pending` moves a batch of queued events (from every shard, `keys.KeySpace`) into batch lists
named after the job, writes it to SQL (`store.write_lines`) and then deletes the lists. Run twice (a
retry after the worker was killed) it writes the same batch again, and the unique key on (decision_id,
event_type, decided_on) makes the second write a no-op, rollups included. A batch whose worker died is
found by its age (`tick`) or, at a worker's start, by its owner being gone
(`persist_batches_of_dead_workers`).
"""

from __future__ import annotations

import logging
import os
import random
import socket
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import orjson
import redis
from rq import Queue, Retry, Worker, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job

from ..forecast import store as reach_store
from ..infra import keys, redis_client
from ..infra.keys import KeySpace
from ..infra.lua import CLAIM_STALE, TAKE
from ..infra.storage import Database
from ..settings import Settings, load_settings
from .event import Event
from .sink import enqueue_persist
from .spool import process_alive
from .store import fold_rate_limited, write_lines

log = logging.getLogger(__name__)


class Stores(Protocol):
    """What the event jobs work with. A process's `Services` is one; `adserver worker` hands it over (`use`)."""

    settings: Settings
    db: Database
    redis: redis.Redis
    keys: KeySpace
    rq: redis.Redis


@dataclass
class _Built:
    settings: Settings
    db: Database
    redis: redis.Redis
    keys: KeySpace
    rq: redis.Redis


def _built(settings: Settings) -> Stores:
    """The stores of a process that registered none (a plain `rq worker`), from its settings alone."""
    client = redis_client.from_settings(settings)
    key_space = redis_client.key_space(settings)
    redis_client.check_layout(client, key_space)
    return _Built(settings, Database(settings.database_url), client, key_space, redis_client.for_rq(settings, client))


_stores: Stores | None = None
_pid: int | None = None


def use(stores: Stores) -> None:
    """Run this process's jobs with `stores` (the worker's, or a command's that persists inline)."""
    global _stores, _pid
    _stores, _pid = stores, os.getpid()


def stores() -> Stores:
    """The registered stores, re-pooled after rq forks a work horse; else built from the settings."""
    global _pid
    if _stores is None:
        use(_built(load_settings()))
    elif _pid != os.getpid():
        _stores.db.engine.dispose(close=False)  # never share the parent's SQL connections
        _pid = os.getpid()
    return _stores


BATCH_SIZE = 5000  # events a persist job writes to SQL at once (taken from the shards in turn)
STALE_BATCH_SECONDS = 60  # a batch still there this long after it was taken lost its worker


def tick(svc: Stores) -> bool:
    """Enqueue a persist job when events (or rate-limited or reach counts) wait on any shard and no tick did so
    in the last second (any worker); and one job per batch left behind by a killed worker."""
    conn, ks, queue_name = svc.redis, svc.keys, svc.settings.queues[0]
    pipe = conn.pipeline(transaction=False)
    for shard in ks.all():
        pipe.llen(ks.incoming(shard))
        pipe.exists(ks.rate_limited(shard))
        pipe.scard(ks.folds_pending(shard))
    pipe.exists(keys.REACH)
    pipe.exists(keys.REACH_FOLDED)
    *events, reach, folded = pipe.execute()
    waiting = any(events) or (reach and not folded)  # the reach counts: folded at most once a minute
    for key in claim_stale_batches(conn, ks):
        Queue(queue_name, connection=svc.rq).enqueue(
            persist_batch, key, job_timeout=300, retry=Retry(max=10, interval=[1, 2, 5, 10]), failure_ttl=7 * 86400
        )
    if waiting and conn.set(keys.TICK, "1", nx=True, px=1000):
        enqueue_persist(svc.rq, queue_name)
        return True
    return False


def claim_stale_batches(conn: redis.Redis, ks: KeySpace, older_than: float = STALE_BATCH_SECONDS) -> list[str]:
    """Batch lists taken more than `older_than` seconds ago and never finished (their worker died)."""
    now = now_ms()
    claim = conn.register_script(CLAIM_STALE)
    stale = [claim(keys=[ks.batches(shard)], args=[now - int(older_than * 1000), now]) for shard in ks.all()]
    return [k.decode() for found in stale for k in found]


def persist_batch(batch_key: str) -> int:
    """Write one batch list left by a killed worker (idempotent: a live owner writing it too is harmless)."""
    svc = stores()
    raw = svc.redis.lrange(batch_key, 0, -1)
    new = write_lines(svc.db, raw) if raw else 0
    _done(svc.redis, svc.keys, batch_key, raw)
    if new:
        log.warning("persisted %d events of the stale batch %s", new, batch_key)
    return new


def _done(conn: redis.Redis, ks: KeySpace, batch_key: str, written: Sequence[bytes] = ()) -> None:
    """Drop a batch whose `written` lines are in SQL now, and count them by type for `/metrics` (in
    Redis, on the batch's shard: the rq work horse that wrote them exits with the job)."""
    shard = ks.shard_of_key(batch_key)
    pipe = conn.pipeline(transaction=True)  # one shard: one slot
    pipe.delete(batch_key)
    pipe.zrem(ks.batches(shard), batch_key)
    for event_type, n in Counter(orjson.loads(x)["event_type"] for x in written).items():
        pipe.hincrby(ks.persisted(shard), event_type, n)
    pipe.execute()


def persisted(conn: redis.Redis, ks: KeySpace) -> dict[str, int]:
    """Events written to SQL by every worker, by type (summed over the shards)."""
    pipe = conn.pipeline(transaction=False)
    for shard in ks.all():
        pipe.hgetall(ks.persisted(shard))
    out: Counter[str] = Counter()
    for found in pipe.execute():
        out.update({event_type.decode(): int(n) for event_type, n in found.items()})
    return dict(out)


def waiting(conn: redis.Redis, ks: KeySpace) -> int:
    """Events queued in Redis, on every shard."""
    pipe = conn.pipeline(transaction=False)
    for shard in ks.all():
        pipe.llen(ks.incoming(shard))
    return sum(pipe.execute())


def lag_seconds(conn: redis.Redis, ks: KeySpace) -> float:
    """How long the oldest event waiting in Redis has waited (0 when none waits)."""
    pipe = conn.pipeline(transaction=False)
    for shard in ks.all():
        pipe.lindex(ks.incoming(shard), 0)
    oldest = [Event.from_json(x).occurred_at for x in pipe.execute() if x]
    if not oldest:
        return 0.0
    return (datetime.now(UTC) - min(datetime.fromisoformat(t) for t in oldest)).total_seconds()


def now_ms() -> int:
    """Milliseconds since the epoch (the batch timestamps)."""
    return int(datetime.now(UTC).timestamp() * 1000)


def persist_pending(batch: str | None = None) -> int:
    """Persist queued events (the job): each round takes a share of BATCH_SIZE from every shard, in turn
    from a random one, into batch lists named `batch` (default: the job's id), writes them to SQL in
    one go, until no shard had a full share waiting; then folds rate-limited counts. Returns how many
    events were new."""
    svc = stores()
    ks = svc.keys
    job = get_current_job()
    name = batch or (job.id if job else "inline")
    take = svc.redis.register_script(TAKE)
    share = max(1, BATCH_SIZE // ks.shards)
    first = random.randrange(ks.shards)
    order = [(first + i) % ks.shards for i in ks.all()]
    total_new = 0
    while True:
        taken, full = [], False
        for shard in order:
            key = ks.batch(name, shard)
            raw = take(keys=[ks.incoming(shard), key, ks.batches(shard)], args=[share, now_ms()])
            if raw:
                taken.append((key, raw))
            full = full or len(raw) >= share
        if taken:
            total_new += write_lines(svc.db, [line for _, raw in taken for line in raw])
            for key, raw in taken:
                _done(svc.redis, ks, key, raw)
        if not full:
            break
    fold_rate_limited(svc.redis, svc.db, ks)
    reach_store.fold_due(svc.redis, svc.db)
    return total_new


def persist_orphaned_batches(svc: Stores) -> int:
    """Batches left by killed workers whose jobs are gone: write them (idempotent) and drop them;
    likewise rate-limited counts whose fold was interrupted."""
    return _write_batches(svc, lambda key: True)


def _write_batches(svc: Stores, take) -> int:
    """Write (idempotently) and drop every batch list `take(key)` accepts; then fold interrupted counts."""
    conn, ks = svc.redis, svc.keys
    new = 0
    for shard in ks.all():
        for raw_key in conn.scan_iter(match=ks.batch_prefix(shard) + "*", count=100):
            key = raw_key.decode() if isinstance(raw_key, bytes) else raw_key
            if not take(key):
                continue
            raw = conn.lrange(key, 0, -1)
            if raw:
                new += write_lines(svc.db, raw)
            _done(conn, ks, key, raw)
    fold_rate_limited(conn, svc.db, ks)
    reach_store.fold(conn, svc.db)  # and a fold of the reach counts a dead worker left
    return new


def live_workers(rq: redis.Redis) -> set[str]:
    """Names of registered rq workers that may still run: on this host those whose process exists;
    on other hosts all of them (their batches are left to the stale check)."""
    here = socket.gethostname()
    workers = Worker.all(connection=rq)
    return {w.name for w in workers if w.hostname != here or (w.pid is not None and process_alive(w.pid))}


def _owner(svc: Stores, batch_key: str) -> str | None:
    """The worker whose job took this batch (the batch list is named after the job); None if unknown."""
    try:
        return Job.fetch(svc.keys.batch_name(batch_key), connection=svc.rq).worker_name
    except NoSuchJobError:
        return None


def persist_batches_of_dead_workers(svc: Stores) -> int:
    """At a worker's start: write (idempotently) and drop every batch whose worker is gone, e.g. SIGKILLed
    a moment ago and restarted by the process manager, instead of leaving it to the stale check (`STALE_BATCH_SECONDS`).
    A dead worker stays registered in rq until its key expires, so liveness is its process, not rq's list.
    A batch of a live worker is left alone (were it written twice, the unique key would absorb it)."""
    live = live_workers(svc.rq)
    return _write_batches(svc, lambda key: _owner(svc, key) not in live)
