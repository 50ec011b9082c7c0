"""rq jobs: small named functions taking plain data, with idempotent effects.

`persist_pending` moves a batch of queued events into a batch list named after the job, writes the
batch to SQL in one transaction and then deletes the list. Run twice (a retry after the worker was
killed) it writes the same batch again, and the unique key on (decision_id, event_type) turns the
second write into a no-op, rollups included, because rollups are incremented only by the rows the
INSERT actually returned.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

import redis
from rq import Queue, Retry, get_current_job
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from . import storage
from .events import BATCH_PREFIX, INCOMING, Event

log = logging.getLogger(__name__)

BATCH_SIZE = 2000
TICK_KEY = "adserver:events:tick"

# Move up to ARGV[1] events from the incoming list to this job's batch list, unless the batch list
# already holds events (a retry): then those are the batch.
TAKE = """
local have = redis.call('LLEN', KEYS[2])
if have > 0 then return have end
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items == 0 then return 0 end
for i = 1, #items, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(items, i, math.min(i + 999, #items)))
end
redis.call('LTRIM', KEYS[1], #items, -1)
return #items
"""


def enqueue_persist(conn: redis.Redis, queue_name: str) -> None:
    Queue(queue_name, connection=conn).enqueue(
        persist_pending, job_timeout=300, retry=Retry(max=10, interval=[1, 2, 5, 10]), failure_ttl=7 * 86400
    )


def tick(conn: redis.Redis, queue_name: str) -> bool:
    """Enqueue a persist job when events wait and no tick did so in the last second (any worker)."""
    if conn.llen(INCOMING) and conn.set(TICK_KEY, "1", nx=True, px=1000):
        enqueue_persist(conn, queue_name)
        return True
    return False


def persist_pending(batch_key: str | None = None) -> int:
    """Persist one batch of queued events (the job); returns how many events were new."""
    from .services import worker_services

    svc = worker_services()
    job = get_current_job()
    key = batch_key or BATCH_PREFIX + (job.id if job else "inline")
    total_new = 0
    while True:
        n = svc.redis.register_script(TAKE)(keys=[INCOMING, key], args=[BATCH_SIZE])
        if not n:
            return total_new
        raw = svc.redis.lrange(key, 0, -1)
        total_new += write_batch(svc.db, [Event.from_json(r) for r in raw])
        svc.redis.delete(key)
        if n < BATCH_SIZE:
            return total_new


def persist_orphaned_batches(conn: redis.Redis, db: storage.Database) -> int:
    """Batches left by killed workers whose jobs are gone: write them (idempotent) and drop them."""
    new = 0
    for key in conn.scan_iter(match=BATCH_PREFIX + "*", count=100):
        raw = conn.lrange(key, 0, -1)
        if raw:
            new += write_batch(db, [Event.from_json(r) for r in raw])
        conn.delete(key)
    return new


def _insert(table: Table, dialect: str):
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def write_batch(db: storage.Database, events: list[Event]) -> int:
    """Insert raw events, ignoring ones already stored; add only the new ones to the rollups."""
    if not events:
        return 0
    dialect = db.engine.dialect.name
    events_t = storage.Event.__table__
    rollups_t = storage.DailyRollup.__table__
    rows = [
        {
            "decision_id": e.decision_id,
            "event_type": e.event_type,
            "campaign_id": e.campaign_id,
            "creative_id": e.creative_id,
            "advertiser_id": e.advertiser_id,
            "placement": e.placement,
            "topic": e.topic,
            "hook_variant": e.hook_variant,
            "score": e.score,
            "billable": e.billable,
            "reason": e.reason,
            "cost": Decimal(str(e.cost)),
            "occurred_at": datetime.fromisoformat(e.occurred_at),
            "ip_hash": e.ip_hash,
            "ua_class": e.ua_class,
            "keywords": list(e.keywords),
        }
        for e in events
    ]
    by_key = {(e.decision_id, e.event_type): e for e in events}
    with db.engine.begin() as conn:
        stmt = (
            _insert(events_t, dialect)
            .on_conflict_do_nothing(index_elements=["decision_id", "event_type"])
            .returning(events_t.c.decision_id, events_t.c.event_type)
        )
        inserted = []
        for chunk in range(0, len(rows), 500):
            inserted += conn.execute(stmt, rows[chunk : chunk + 500]).all()
        totals: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for decision_id, event_type in inserted:
            e = by_key[(decision_id, event_type)]
            col = {"impression": "impressions", "view": "views", "click": "clicks"}[e.event_type]
            t = totals[(date.fromisoformat(e.day), e.campaign_id, e.creative_id, e.placement, e.topic)]
            t[col if e.billable else f"nonbillable_{col}"] += 1
            t["spend"] += e.cost
        if totals:
            counters = [
                "impressions",
                "views",
                "clicks",
                "nonbillable_impressions",
                "nonbillable_views",
                "nonbillable_clicks",
            ]
            values = [
                {
                    "day": k[0],
                    "campaign_id": k[1],
                    "creative_id": k[2],
                    "placement": k[3],
                    "topic": k[4],
                    **{c: int(v.get(c, 0)) for c in counters},
                    "spend": Decimal(str(round(v.get("spend", 0.0), 6))),
                }
                for k, v in sorted(totals.items())
            ]
            ins = _insert(rollups_t, dialect)
            upsert = ins.on_conflict_do_update(
                index_elements=["day", "campaign_id", "creative_id", "placement", "topic"],
                set_={c: rollups_t.c[c] + ins.excluded[c] for c in [*counters, "spend"]},
            )
            conn.execute(upsert, values)
    return len(inserted)
