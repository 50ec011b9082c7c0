"""rq jobs of the event pipeline: small named functions taking plain data, with idempotent effects.

`persist_pending` moves a batch of queued events into a batch list named after the job, writes it
to SQL (`store.write_lines`) and then deletes the list. Run twice (a retry after the worker was
killed) it writes the same batch again, and the unique key on (decision_id, event_type, decided_on) makes the
second write a no-op, rollups included. A batch whose worker died is found by its age (`tick`) or,
at a worker's start, by its owner being gone (`persist_batches_of_dead_workers`).
"""

from __future__ import annotations

import logging
import socket
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

import orjson
import redis
from rq import Queue, Retry, Worker, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job

from .. import keys, storage
from ..lua import CLAIM_STALE, TAKE
from ..services import worker_services
from .event import Event
from .sink import enqueue_persist
from .spool import process_alive
from .store import fold_rate_limited, write_lines

log = logging.getLogger(__name__)

BATCH_SIZE = 5000
STALE_BATCH_SECONDS = 60  # a batch still there this long after it was taken lost its worker


def tick(conn: redis.Redis, queue_name: str) -> bool:
    """Enqueue a persist job when events (or rate-limited counts) wait and no tick did so in the last
    second (any worker); and one job per batch left behind by a killed worker."""
    pipe = conn.pipeline(transaction=False)
    pipe.llen(keys.INCOMING)
    pipe.exists(keys.RATE_LIMITED)
    pipe.scard(keys.FOLDS_PENDING)
    waiting = any(pipe.execute())
    for key in claim_stale_batches(conn):
        Queue(queue_name, connection=conn).enqueue(
            persist_batch, key, job_timeout=300, retry=Retry(max=10, interval=[1, 2, 5, 10]), failure_ttl=7 * 86400
        )
    if waiting and conn.set(keys.TICK, "1", nx=True, px=1000):
        enqueue_persist(conn, queue_name)
        return True
    return False


def claim_stale_batches(conn: redis.Redis, older_than: float = STALE_BATCH_SECONDS) -> list[str]:
    """Batch lists taken more than `older_than` seconds ago and never finished (their worker died)."""
    now = now_ms()
    stale = conn.register_script(CLAIM_STALE)(keys=[keys.BATCHES], args=[now - int(older_than * 1000), now])
    return [k.decode() for k in stale]


def persist_batch(batch_key: str) -> int:
    """Write one batch list left by a killed worker (idempotent: a live owner writing it too is harmless)."""
    svc = worker_services()
    raw = svc.redis.lrange(batch_key, 0, -1)
    new = write_lines(svc.db, raw) if raw else 0
    _done(svc.redis, batch_key, raw)
    if new:
        log.warning("persisted %d events of the stale batch %s", new, batch_key)
    return new


def _done(conn: redis.Redis, batch_key: str, written: Sequence[bytes] = ()) -> None:
    """Drop a batch whose `written` lines are in SQL now, and count them by type for `/metrics` (in
    Redis: the rq work horse that wrote them exits with the job)."""
    pipe = conn.pipeline()
    pipe.delete(batch_key)
    pipe.zrem(keys.BATCHES, batch_key)
    for event_type, n in Counter(orjson.loads(x)["event_type"] for x in written).items():
        pipe.hincrby(keys.PERSISTED, event_type, n)
    pipe.execute()


def lag_seconds(conn: redis.Redis) -> float:
    """How long the oldest event waiting in Redis has waited (0 when none waits)."""
    oldest = conn.lindex(keys.INCOMING, 0)
    if not oldest:
        return 0.0
    return (datetime.now(UTC) - datetime.fromisoformat(Event.from_json(oldest).occurred_at)).total_seconds()


def now_ms() -> int:
    """Milliseconds since the epoch (the batch timestamps)."""
    return int(datetime.now(UTC).timestamp() * 1000)


def persist_pending(batch_key: str | None = None) -> int:
    """Persist queued events batch by batch (the job), then fold rate-limited counts; returns how
    many events were new."""
    svc = worker_services()
    job = get_current_job()
    key = batch_key or keys.batch(job.id if job else "inline")
    take = svc.redis.register_script(TAKE)
    total_new = 0
    while True:
        raw = take(keys=[keys.INCOMING, key, keys.BATCHES], args=[BATCH_SIZE, now_ms()])
        if raw:
            total_new += write_lines(svc.db, raw)
            _done(svc.redis, key, raw)
        if len(raw) < BATCH_SIZE:
            break
    fold_rate_limited(svc.redis, svc.db)
    return total_new


def persist_orphaned_batches(conn: redis.Redis, db: storage.Database) -> int:
    """Batches left by killed workers whose jobs are gone: write them (idempotent) and drop them;
    likewise rate-limited counts whose fold was interrupted."""
    return _write_batches(conn, db, lambda key: True)


def _write_batches(conn: redis.Redis, db: storage.Database, take) -> int:
    """Write (idempotently) and drop every batch list `take(key)` accepts; then fold interrupted counts."""
    new = 0
    for raw_key in conn.scan_iter(match=keys.BATCH_PREFIX + "*", count=100):
        key = raw_key.decode() if isinstance(raw_key, bytes) else raw_key
        if not take(key):
            continue
        raw = conn.lrange(key, 0, -1)
        if raw:
            new += write_lines(db, raw)
        _done(conn, key, raw)
    fold_rate_limited(conn, db)
    return new


def live_workers(conn: redis.Redis) -> set[str]:
    """Names of registered rq workers that may still run: on this host those whose process exists;
    on other hosts all of them (their batches are left to the stale check)."""
    here = socket.gethostname()
    workers = Worker.all(connection=conn)
    return {w.name for w in workers if w.hostname != here or (w.pid is not None and process_alive(w.pid))}


def _owner(conn: redis.Redis, batch_key: str) -> str | None:
    """The worker whose job took this batch (the batch list is named after the job); None if unknown."""
    try:
        return Job.fetch(batch_key.removeprefix(keys.BATCH_PREFIX), connection=conn).worker_name
    except NoSuchJobError:
        return None


def persist_batches_of_dead_workers(conn: redis.Redis, db: storage.Database) -> int:
    """At a worker's start: write (idempotently) and drop every batch whose worker is gone, e.g. SIGKILLed
    a moment ago and restarted by the process manager, instead of leaving it to the stale check (`STALE_BATCH_SECONDS`).
    A dead worker stays registered in rq until its key expires, so liveness is its process, not rq's list.
    A batch of a live worker is left alone (were it written twice, the unique key would absorb it)."""
    live = live_workers(conn)
    return _write_batches(conn, db, lambda key: _owner(conn, key) not in live)
