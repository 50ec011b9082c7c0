"""Three independent counts of one day's events: raw rows, rollups, and the Redis counters the web
processes keep as they queue events. Any difference is a bug or an event still in flight.

Traffic is `billable`, `nonbillable` (answered, not billed: bot, prefetch, no user agent) or
`rate_limited` (refused with 429: no raw row, so only rollups and Redis are compared)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import redis
from sqlalchemy import func, select

from ..infra import counters, storage
from ..infra.keys import KeySpace

TRAFFIC = {"b": "billable", "n": "nonbillable", "r": "rate_limited"}

Key = tuple[str, str, str]  # campaign, event type, traffic


def raw_counts(db: storage.Database, day: date) -> dict[Key, int]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    e = storage.Event
    with db.sessionmaker() as s:
        rows = s.execute(
            select(e.campaign_id, e.event_type, e.billable, func.count())
            .where(e.occurred_at >= start, e.occurred_at < start + timedelta(days=1))
            .group_by(e.campaign_id, e.event_type, e.billable)
        ).all()
    return {(c, t, "billable" if b else "nonbillable"): n for c, t, b, n in rows}


def rollup_counts(db: storage.Database, day: date) -> dict[Key, int]:
    r = storage.DailyRollup
    cols = {key: getattr(r, column) for key, column in counters.TRAFFIC.items()}
    with db.sessionmaker() as s:
        rows = s.execute(
            select(r.campaign_id, *(func.sum(c) for c in cols.values())).where(r.day == day).group_by(r.campaign_id)
        ).all()
    out: dict[Key, int] = {}
    for cid, *sums in rows:
        for (kind, traffic), n in zip(cols, sums, strict=True):
            if n:
                out[(cid, kind, traffic)] = int(n)
    return out


def redis_counts(conn: redis.Redis, day: date, ks: KeySpace) -> dict[Key, int]:
    """The web processes' counts of queued events, summed over the shards."""
    out: dict[Key, int] = defaultdict(int)
    for shard in ks.all():
        for field, n in conn.hgetall(ks.counts(day.isoformat(), shard)).items():
            cid, kind, t = field.decode().rsplit(":", 2)
            out[(cid, kind, TRAFFIC[t])] += int(n)
    return dict(out)


def differences(db: storage.Database, conn: redis.Redis, day: date, ks: KeySpace) -> list[dict]:
    raw, roll, red = raw_counts(db, day), rollup_counts(db, day), redis_counts(conn, day, ks)
    rows = []
    for key in sorted(set(raw) | set(roll) | set(red)):
        b, c = roll.get(key, 0), red.get(key, 0)
        a = None if key[2] == "rate_limited" else raw.get(key, 0)  # refused beacons have no raw row
        if not (b == c and a in (None, b)):
            rows.append({"campaign": key[0], "event": key[1], "traffic": key[2], "raw": a, "rollups": b, "redis": c})
    return rows


def totals(db: storage.Database, day: date) -> dict[str, int]:
    t: dict[str, int] = defaultdict(int)
    for (_, kind, _traffic), n in raw_counts(db, day).items():
        t[kind] += n
    return dict(t)


def summary(db: storage.Database, conn: redis.Redis, day: date, ks: KeySpace) -> list[dict]:
    """The three counts per event type and traffic, summed over campaigns (what `differences` compares)."""
    counts = raw_counts(db, day), rollup_counts(db, day), redis_counts(conn, day, ks)
    sums: dict[tuple[str, str], list] = {}
    for source, found in enumerate(counts):
        for (_, kind, traffic), n in found.items():
            row = sums.setdefault((kind, traffic), [None if traffic == "rate_limited" else 0, 0, 0])
            row[source] += n
    order = {k: i for i, k in enumerate(counters.EVENT_TYPES)}
    return [
        {"event": kind, "traffic": traffic, "raw": a, "rollups": b, "redis": c}
        for (kind, traffic), (a, b, c) in sorted(sums.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))
    ]
