"""Events into SQL: raw rows written once, rollups incremented only by the rows actually inserted.

Beacons refused by the rate limit have no raw row: the web side counts them in one Redis hash, and
`fold_rate_limited` adds it to the rollups exactly once (the hash is renamed to a fold key, and the
SQL transaction that adds it also records the fold's id, so a retried fold is a no-op).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import redis
from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

from ..infra import counters, storage
from ..infra.keys import KeySpace
from ..infra.lua import TAKE_FOLD
from .event import Event

FOLD_LOG_DAYS = 30  # how long `event_folds` remembers a fold id (a retry comes within minutes)

ROLLUP_KEY = list(counters.ROLLUP_KEY)


def write_lines(db: storage.Database, lines: Sequence[str | bytes]) -> int:
    """`write_batch` for events as queued (JSON lines); PostgreSQL parses them itself."""
    if not lines:
        return 0
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            return _write_postgresql(conn, lines)
    return write_batch(db, [Event.from_json(x) for x in lines])


def write_batch(db: storage.Database, events: list[Event]) -> int:
    """Insert raw events, ignoring ones already stored; add only the new ones to the rollups."""
    if not events:
        return 0
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            return _write_postgresql(conn, [e.to_json() for e in events])
        return _write_generic(conn, events)


def _insert(table: Table, dialect: str):
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def insert(table: Table, sql: Connection):
    """The dialect's INSERT for `table` (its upserts: ON CONFLICT)."""
    return _insert(table, sql.dialect.name)


def first_fold(sql: Connection, fold_id: str) -> datetime | None:
    """Record `fold_id` in this transaction: its time the first time (fold its counts now), None when it was
    folded before (a retried fold adds nothing). Fold ids older than FOLD_LOG_DAYS are forgotten."""
    folds_t = storage.EventFold.__table__
    now = datetime.now(UTC)
    first = sql.execute(
        insert(folds_t, sql)
        .values(id=fold_id, folded_at=now)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(folds_t.c.id)
    ).first()
    if first is None:
        return None
    sql.execute(folds_t.delete().where(folds_t.c.folded_at < now - timedelta(days=FOLD_LOG_DAYS)))
    return now


def _write_generic(conn: Connection, events: list[Event]) -> int:
    dialect = conn.dialect.name
    events_t = storage.Event.__table__
    rows = [
        {
            "decision_id": e.decision_id,
            "event_type": e.event_type,
            "decided_on": date.fromisoformat(e.decision_day),
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
            "country": e.country,
            "site": counters.site_of(e.site),
        }
        for e in events
    ]
    by_key = {(e.decision_id, e.event_type): e for e in events}
    stmt = (
        _insert(events_t, dialect)
        .on_conflict_do_nothing(index_elements=["decision_id", "event_type", "decided_on"])
        .returning(events_t.c.decision_id, events_t.c.event_type)
    )
    inserted = []
    for chunk in range(0, len(rows), 500):
        inserted += conn.execute(stmt, rows[chunk : chunk + 500]).all()
    totals: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for decision_id, event_type in inserted:
        e = by_key[(decision_id, event_type)]
        kind = e.event_type
        day, *rest = e.rollup_key()
        t = totals[(date.fromisoformat(day), *rest)]
        if e.billable:
            t[counters.COLUMN[kind]] += 1
        else:
            t[counters.NONBILLABLE[kind]] += 1
            group = counters.reason_group(e.reason)
            if group:
                t[counters.BY_GROUP[(group, kind)]] += 1
        t["spend"] += e.cost
    if totals:
        _add_to_rollups(
            conn,
            [
                dict(zip(ROLLUP_KEY, k, strict=True))
                | {c: int(v.get(c, 0)) for c in counters.FROM_EVENTS}
                | {"spend": Decimal(str(round(v.get("spend", 0.0), 6)))}
                for k, v in sorted(totals.items())
            ],
            [*counters.FROM_EVENTS, "spend"],
        )
    return len(inserted)


def _add_to_rollups(conn: Connection, values: list[dict], columns: list[str]) -> None:
    """Upsert rollup rows, adding `columns` of `values` to what is stored."""
    rollups_t = storage.DailyRollup.__table__
    ins = _insert(rollups_t, conn.dialect.name)
    add = {c: rollups_t.c[c] + ins.excluded[c] for c in columns}
    conn.execute(ins.on_conflict_do_update(index_elements=ROLLUP_KEY, set_=add), values)


def _postgresql_statement() -> str:
    """One statement: parse the JSON lines, insert the new raw rows, add exactly those to the rollups.

    PostgreSQL parses the JSON (no per-row Python objects) and the statement text never changes, so
    psycopg caches its conversion; the rollups come from the INSERT's RETURNING, i.e. only new rows,
    upserted in key order (as the generic path does) so two writers lock rollup rows in one order."""

    def count(where: str) -> str:
        return f"count(*) FILTER (WHERE {where})"

    sums = []
    for kind in counters.EVENT_TYPES:
        sums.append((counters.COLUMN[kind], count(f"billable AND event_type = '{kind}'")))
        sums.append((counters.NONBILLABLE[kind], count(f"NOT billable AND event_type = '{kind}'")))
        for group in counters.GROUPS:
            reasons = ", ".join(f"'{r}'" for r, g in counters.REASON_GROUPS.items() if g == group)
            where = f"NOT billable AND event_type = '{kind}' AND reason IN ({reasons})"
            sums.append((counters.BY_GROUP[(group, kind)], count(where)))
    sums.append(("spend", "sum(cost)"))
    cols = [c for c, _ in sums]
    key = ", ".join(counters.ROLLUP_KEY)
    devices = ", ".join(f"'{d}'" for d in counters.DEVICES)
    return f"""
WITH src AS (
  SELECT r.* FROM unnest(string_to_array(%(lines)s, chr(10))) AS l(line),
  LATERAL jsonb_to_record(l.line::jsonb) AS r(
    decision_id text, event_type text, campaign_id text, creative_id text, advertiser_id text,
    placement text, topic text, hook_variant text, score float8, billable boolean, reason text,
    cost numeric, occurred_at timestamptz, ip_hash text, ua_class text, keywords jsonb, decided_on text, country text,
    site text)
), ins AS (
  INSERT INTO events (decision_id, event_type, decided_on, campaign_id, creative_id, advertiser_id, placement, topic,
                      hook_variant, score, billable, reason, cost, occurred_at, ip_hash, ua_class, keywords, country,
                      site)
  SELECT decision_id, event_type, coalesce(nullif(decided_on, '')::date, (occurred_at AT TIME ZONE 'UTC')::date),
         campaign_id, creative_id, coalesce(advertiser_id, ''), placement,
         coalesce(topic, ''), coalesce(hook_variant, ''), score, coalesce(billable, true), coalesce(reason, ''),
         coalesce(cost, 0), occurred_at, coalesce(ip_hash, ''), coalesce(ua_class, ''),
         coalesce(keywords, '[]'::jsonb)::json, coalesce(country, ''),
         coalesce(nullif(site, ''), '{counters.DEFAULT_SITE}')
  FROM src
  ON CONFLICT (decision_id, event_type, decided_on) DO NOTHING
  RETURNING event_type, campaign_id, creative_id, placement, topic, billable, reason, cost,
            (occurred_at AT TIME ZONE 'UTC')::date AS day,
            coalesce(nullif(country, ''), '{counters.UNKNOWN}') AS country,
            CASE WHEN ua_class IN ({devices}) THEN ua_class ELSE '{counters.UNKNOWN}' END AS device, site
), up AS (
  INSERT INTO daily_rollups AS d ({key}, {", ".join(cols)})
  SELECT {key}, {", ".join(e for _, e in sums)}
  FROM ins GROUP BY {key}
  ORDER BY {key}
  ON CONFLICT ({key}) DO UPDATE SET
    {", ".join(f"{c} = d.{c} + EXCLUDED.{c}" for c in cols)}
)
SELECT count(*) FROM ins
"""


POSTGRESQL_WRITE = _postgresql_statement()


def _write_postgresql(conn: Connection, lines: Sequence[str | bytes]) -> int:
    # One text parameter, lines joined by newlines (JSON escapes its own): nothing to quote or escape.
    blob = b"\n".join(x if isinstance(x, bytes) else x.encode() for x in lines).decode()
    return conn.exec_driver_sql(POSTGRESQL_WRITE, {"lines": blob}).scalar_one()


# --- rate-limited beacons: a Redis aggregate folded into the rollups exactly once ----------------


def fold_rate_limited(conn: redis.Redis, db: storage.Database, ks: KeySpace) -> int:
    """Add the rate-limited counts gathered in Redis (on every shard) to the rollups; returns how many
    were added.

    A shard's aggregate is renamed to a fold key first (new refusals start a fresh hash), then written in
    one SQL transaction that also inserts the fold id into `event_folds`: a fold whose worker died
    after the commit is found again (`KeySpace.folds_pending`), sees its id and is only cleaned up."""
    take = conn.register_script(TAKE_FOLD)
    added = 0
    for shard in ks.all():
        fold_id = uuid.uuid4().hex
        take(keys=[ks.rate_limited(shard), ks.fold(fold_id, shard), ks.folds_pending(shard)], args=[fold_id])
        for pending in sorted(m.decode() for m in conn.smembers(ks.folds_pending(shard))):
            added += _fold(conn, db, ks, pending, shard)
    return added


def rate_limited_pending(conn: redis.Redis, ks: KeySpace) -> int:
    """Refused beacons counted in Redis and not yet folded into the rollups (`adserver events status`)."""
    held = [
        key
        for shard in ks.all()
        for key in (
            ks.rate_limited(shard),
            *(ks.fold(m.decode(), shard) for m in conn.smembers(ks.folds_pending(shard))),
        )
    ]
    return sum(int(n) for k in held for n in conn.hvals(k))


def _fold(conn: redis.Redis, db: storage.Database, ks: KeySpace, fold_id: str, shard: int) -> int:
    key = ks.fold(fold_id, shard)
    counts = conn.hgetall(key)
    totals: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for field, n in counts.items():
        day, *rest, kind = json.loads(field)
        # A field counted before the rollups had a country, a device or a site names none: their defaults.
        rest += counters.LATER_DEFAULTS[len(rest) - (len(ROLLUP_KEY) - 1 - len(counters.LATER_DEFAULTS)) :]
        if kind in counters.RATE_LIMITED:
            totals[(date.fromisoformat(day), *rest)][counters.RATE_LIMITED[kind]] += int(n)
    added = 0
    if totals:
        with db.engine.begin() as sql:
            if first_fold(sql, fold_id) is not None:  # not written before
                columns = list(counters.RATE_LIMITED.values())
                _add_to_rollups(
                    sql,
                    [
                        dict(zip(ROLLUP_KEY, k, strict=True)) | {c: v.get(c, 0) for c in columns}
                        for k, v in sorted(totals.items())
                    ],
                    columns,
                )
                added = sum(sum(v.values()) for v in totals.values())
    pipe = conn.pipeline(transaction=True)  # one shard: one slot
    pipe.delete(key)
    pipe.srem(ks.folds_pending(shard), fold_id)
    pipe.execute()
    return added
