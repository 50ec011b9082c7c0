"""Compare one day's raw events, rollups and Redis counters; every difference is a row to look at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import redis
from sqlalchemy import func, select

from .events import COUNTS
from .jobs import COUNT_COLUMN
from .storage import Database, DailyRollup, EventRow


@dataclass(frozen=True)
class Difference:
    campaign_id: str
    column: str
    raw: int
    rollup: int
    redis: int | None


def raw_counts(db: Database, day: date) -> dict[tuple[str, str], int]:
    start = datetime.combine(day, time(), UTC)
    with db.session() as s:
        rows = s.execute(
            select(EventRow.campaign_id, EventRow.event_type, EventRow.billable, func.count())
            .where(EventRow.occurred_at >= start, EventRow.occurred_at < start + timedelta(days=1))
            .group_by(EventRow.campaign_id, EventRow.event_type, EventRow.billable)
        ).all()
    return {(c, COUNT_COLUMN[(t, bool(b))]): n for c, t, b, n in rows}


def rollup_counts(db: Database, day: date) -> dict[tuple[str, str], int]:
    cols = list(COUNT_COLUMN.values())
    with db.session() as s:
        rows = s.execute(
            select(DailyRollup.campaign_id, *[func.sum(getattr(DailyRollup, c)) for c in cols])
            .where(DailyRollup.day == day)
            .group_by(DailyRollup.campaign_id)
        ).all()
    return {(r[0], c): int(v or 0) for r in rows for c, v in zip(cols, r[1:], strict=True) if v}


def redis_counts(client: redis.Redis, day: date) -> dict[tuple[str, str], int]:
    out = {}
    for f, v in client.hgetall(f"{COUNTS}{day.isoformat()}").items():
        campaign, event_type, b = f.decode().rsplit("|", 2)
        out[(campaign, COUNT_COLUMN[(event_type, b == "b")])] = int(v)
    return out


def reconcile(db: Database, client: redis.Redis | None, day: date) -> list[Difference]:
    """Differences between raw events, rollups and (when given) the Redis counters for `day`."""
    raw, roll = raw_counts(db, day), rollup_counts(db, day)
    red = redis_counts(client, day) if client is not None else None
    keys = set(raw) | set(roll) | (set(red) if red is not None else set())
    out = []
    for key in sorted(keys):
        r, u = raw.get(key, 0), roll.get(key, 0)
        x = red.get(key, 0) if red is not None else None
        if r != u or (x is not None and x != r):
            out.append(Difference(key[0], key[1], r, u, x))
    return out
