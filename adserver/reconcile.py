"""Three independent counts of one day's events: raw rows, rollups, and the Redis counters the web
processes keep as they queue events. Any difference is a bug or an event still in flight."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import redis
from sqlalchemy import func, select

from . import storage
from .events import COUNTS_PREFIX

KINDS = ("impression", "view", "click")


def raw_counts(db: storage.Database, day: date) -> dict[tuple[str, str, bool], int]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    e = storage.Event
    with db.sessionmaker() as s:
        rows = s.execute(
            select(e.campaign_id, e.event_type, e.billable, func.count())
            .where(e.occurred_at >= start, e.occurred_at < start + timedelta(days=1))
            .group_by(e.campaign_id, e.event_type, e.billable)
        ).all()
    return {(c, t, bool(b)): n for c, t, b, n in rows}


def rollup_counts(db: storage.Database, day: date) -> dict[tuple[str, str, bool], int]:
    r = storage.DailyRollup
    cols = {
        "impression": (r.impressions, r.nonbillable_impressions),
        "view": (r.views, r.nonbillable_views),
        "click": (r.clicks, r.nonbillable_clicks),
    }
    out: dict[tuple[str, str, bool], int] = {}
    with db.sessionmaker() as s:
        for kind, (billable, nonbillable) in cols.items():
            for cid, b, n in s.execute(
                select(r.campaign_id, func.sum(billable), func.sum(nonbillable))
                .where(r.day == day)
                .group_by(r.campaign_id)
            ).all():
                if b:
                    out[(cid, kind, True)] = int(b)
                if n:
                    out[(cid, kind, False)] = int(n)
    return out


def redis_counts(conn: redis.Redis, day: date) -> dict[tuple[str, str, bool], int]:
    out = {}
    for field, n in conn.hgetall(COUNTS_PREFIX + day.isoformat()).items():
        cid, kind, b = field.decode().rsplit(":", 2)
        out[(cid, kind, b == "b")] = int(n)
    return out


def differences(db: storage.Database, conn: redis.Redis, day: date) -> list[dict]:
    raw, roll, red = raw_counts(db, day), rollup_counts(db, day), redis_counts(conn, day)
    rows = []
    for key in sorted(set(raw) | set(roll) | set(red)):
        a, b, c = raw.get(key, 0), roll.get(key, 0), red.get(key, 0)
        if not a == b == c:
            rows.append({"campaign": key[0], "event": key[1], "billable": key[2], "raw": a, "rollups": b, "redis": c})
    return rows


def totals(db: storage.Database, day: date) -> dict[str, int]:
    t: dict[str, int] = defaultdict(int)
    for (_, kind, _b), n in raw_counts(db, day).items():
        t[kind] += n
    return dict(t)
