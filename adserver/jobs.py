"""rq jobs (queue `adserver-events`): persist a sealed batch of events into SQL, idempotently.

`persist_batch(batch_id)` reads the batch from Redis, inserts raw events with ON CONFLICT DO
NOTHING ... RETURNING, adds ONLY the rows actually inserted to `daily_rollups`, all in one
transaction, and deletes the batch after the commit. Running it twice (retry, stale sweep, a
worker SIGKILLed after the commit) leaves the same state.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import redis
from sqlalchemy import insert as generic_insert
from sqlalchemy.dialects import postgresql, sqlite

from .events import BATCH, PENDING, Event
from .storage import DailyRollup, Database, EventRow

_lock = threading.Lock()
_db: Database | None = None
_redis: redis.Redis | None = None


def bind(db: Database, client: redis.Redis) -> None:
    """Use these connections for jobs run in this process (tests, benchmarks with a SimpleWorker)."""
    global _db, _redis
    with _lock:
        _db, _redis = db, client


def _services() -> tuple[Database, redis.Redis]:
    """The worker process's own SQL engine and Redis client, built once from settings."""
    global _db, _redis
    with _lock:
        if _db is None:
            from rq import get_current_job

            from .settings import load_settings

            settings = load_settings()
            _db = Database(settings.database_url)
            job = get_current_job()
            _redis = job.connection if job is not None else redis.Redis.from_url(settings.redis_url)
        return _db, _redis


def persist_batch(batch_id: str) -> int:
    """rq job: persist one sealed batch; returns how many events were new."""
    db, r = _services()
    raw = r.lrange(f"{BATCH}{batch_id}", 0, -1)
    inserted = persist_events(db, (Event.from_json(x) for x in raw)) if raw else 0
    pipe = r.pipeline()
    pipe.delete(f"{BATCH}{batch_id}")
    pipe.zrem(PENDING, batch_id)
    pipe.execute()
    return inserted


def _insert(dialect: str, table):
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    return generic_insert(table)


def rows_of(events: Iterable[Event]) -> list[dict]:
    """Raw-event rows, one per (decision, type) (the batch itself may repeat an event)."""
    seen: dict[tuple[str, str], dict] = {}
    for e in events:
        seen.setdefault(
            (e.decision_id, e.event_type),
            {
                "decision_id": e.decision_id,
                "event_type": e.event_type,
                "campaign_id": e.campaign_id,
                "creative_id": e.creative_id,
                "advertiser_id": e.advertiser_id,
                "placement": e.placement,
                "topic": e.topic or "",
                "hook_variant": e.hook_variant or "",
                "score": e.score,
                "billable": e.billable,
                "reason": e.reason,
                "cost": Decimal(str(e.cost)),
                "occurred_at": e.occurred_at,
                "ip_hash": e.ip_hash,
                "ua_class": e.ua_class,
                "keywords": list(e.keywords),
            },
        )
    return list(seen.values())


COUNT_COLUMN = {
    ("impression", True): "impressions",
    ("view", True): "views",
    ("click", True): "clicks",
    ("impression", False): "nonbillable_impressions",
    ("view", False): "nonbillable_views",
    ("click", False): "nonbillable_clicks",
}
COUNTS = tuple(COUNT_COLUMN.values())


def rollup_deltas(rows: Iterable[dict]) -> dict[tuple, dict]:
    deltas: dict[tuple, dict] = defaultdict(lambda: {c: 0 for c in COUNTS} | {"spend": Decimal(0)})
    for r in rows:
        day: date = r["occurred_at"].date()
        d = deltas[(day, r["campaign_id"], r["creative_id"], r["placement"], r["topic"] or "")]
        d[COUNT_COLUMN[(r["event_type"], bool(r["billable"]))]] += 1
        d["spend"] += Decimal(str(r["cost"]))
    return deltas


def persist_events(db: Database, events: Iterable[Event]) -> int:
    """Insert raw events and roll up only the new ones, in one transaction; returns rows inserted."""
    rows = rows_of(events)
    if not rows:
        return 0
    dialect = db.engine.dialect.name
    by_key = {(r["decision_id"], r["event_type"]): r for r in rows}
    with db.engine.begin() as conn:
        stmt = (
            _insert(dialect, EventRow.__table__)
            .on_conflict_do_nothing(index_elements=["decision_id", "event_type"])
            .returning(EventRow.__table__.c.decision_id, EventRow.__table__.c.event_type)
        )
        inserted = [by_key[(d, t)] for d, t in conn.execute(stmt, rows).all()]
        deltas = rollup_deltas(inserted)
        table = DailyRollup.__table__
        for key in sorted(deltas):  # a fixed lock order: concurrent workers cannot deadlock
            d = deltas[key]
            values = dict(zip(("day", "campaign_id", "creative_id", "placement", "topic"), key, strict=True)) | d
            ins = _insert(dialect, table).values(**values)
            ins = ins.on_conflict_do_update(
                index_elements=["day", "campaign_id", "creative_id", "placement", "topic"],
                set_={c: table.c[c] + ins.excluded[c] for c in (*COUNTS, "spend")},
            )
            conn.execute(ins)
    return len(inserted)
