"""Raw events by day: PostgreSQL partitions created ahead, and retention (`adserver events prune`).

On PostgreSQL `events` is partitioned by range of `decided_on`, one partition a day (`events_pYYYYMMDD`),
plus `events_default` for a day without one, so no event is ever refused: the next `ensure_partitions`
moves such rows into their own day's partition. Pruning drops whole partitions (no vacuum, no bloat);
SQLite has no partitions and deletes in batches. Rollups are never pruned: reports read only them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, text

from ..infra import storage

PREFIX = "events_p"  # + YYYYMMDD
DEFAULT = "events_default"
DAYS_AHEAD = 7  # partitions the worker keeps ready; a week of margin if every worker stops
DELETE_BATCH = 10_000  # rows per transaction when deleting (SQLite, and old rows in the default partition)
_LOCK = 0x616473_7061  # pg_advisory_xact_lock key: one partition maker at a time across workers and hosts
_NAME = re.compile(rf"^{PREFIX}(\d{{8}})$")


@dataclass(frozen=True)
class Pruned:
    partitions: int  # day partitions dropped (PostgreSQL)
    rows: int  # rows deleted one by one (SQLite; the default partition on PostgreSQL)


def today() -> date:
    return datetime.now(UTC).date()


def is_partition(table: str) -> bool:
    """Whether a table is one of `events`' partitions (Alembic compares the parent with the model, not these)."""
    return table == DEFAULT or bool(_NAME.match(table))


def include_name(name: str | None, type_: str, _parent_names: dict) -> bool:
    """Alembic's `include_name` hook: leave the partitions out of schema comparisons."""
    return not (type_ == "table" and name is not None and is_partition(name))


def partition_name(day: date) -> str:
    return f"{PREFIX}{day:%Y%m%d}"


def day_partitions(conn: Connection) -> dict[date, str]:
    """The day partitions of `events` that this module made (others are never touched)."""
    names = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'events'::regclass"
        )
    ).scalars()
    found = {}
    for name in names:
        if m := _NAME.match(name):
            found[datetime.strptime(m.group(1), "%Y%m%d").date()] = name
    return found


def ensure_partitions(db: storage.Database, days_ahead: int = DAYS_AHEAD, now: date | None = None) -> list[date]:
    """Create the partitions of yesterday to `days_ahead` days from now, and of any day whose rows wait in
    the default partition; returns the days created. Safe to run from every worker at once."""
    if db.engine.dialect.name != "postgresql":
        return []
    with db.engine.begin() as conn:
        return create_partitions(conn, days_ahead, now)


def create_partitions(conn: Connection, days_ahead: int = DAYS_AHEAD, now: date | None = None) -> list[date]:
    """`ensure_partitions` inside the caller's transaction (the migration's)."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
    start = now or today()
    wanted = {start + timedelta(days=n) for n in range(-1, days_ahead + 1)}
    wanted |= set(conn.execute(text(f"SELECT DISTINCT decided_on FROM {DEFAULT}")).scalars())
    missing = sorted(wanted - set(day_partitions(conn)))
    for day in missing:
        _create(conn, day)
    return missing


def _create(conn: Connection, day: date) -> None:
    """A day's partition, with that day's rows moved out of the default partition first: PostgreSQL
    refuses to attach a range the default partition holds rows of."""
    name, lo, hi = partition_name(day), day.isoformat(), (day + timedelta(days=1)).isoformat()
    conn.execute(text(f"CREATE TABLE {name} (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
    conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE decided_on = :day RETURNING *) "
            f"INSERT INTO {name} SELECT * FROM moved"
        ),
        {"day": day},
    )
    conn.execute(text(f"ALTER TABLE events ATTACH PARTITION {name} FOR VALUES FROM ('{lo}') TO ('{hi}')"))


def prune(db: storage.Database, older_than: timedelta, now: date | None = None) -> Pruned:
    """Remove raw events of decisions made before `older_than` ago (whole days)."""
    cutoff = (now or today()) - older_than
    if db.engine.dialect.name != "postgresql":
        return Pruned(0, _delete_in_batches(db, "events", "id", cutoff))
    dropped = 0
    with db.engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
        for day, name in sorted(day_partitions(conn).items()):
            if day < cutoff:
                conn.execute(text(f"DROP TABLE {name}"))
                dropped += 1
    return Pruned(dropped, _delete_in_batches(db, DEFAULT, "ctid", cutoff))


def _delete_in_batches(db: storage.Database, table: str, row_id: str, cutoff: date) -> int:
    """Delete rows decided before `cutoff`, DELETE_BATCH per transaction, so no lock is held for long."""
    stmt = text(
        f"DELETE FROM {table} WHERE {row_id} IN "
        f"(SELECT {row_id} FROM {table} WHERE decided_on < :cutoff LIMIT {DELETE_BATCH})"
    )
    total = 0
    while True:
        with db.engine.begin() as conn:
            n = conn.execute(stmt, {"cutoff": cutoff}).rowcount
        total += n
        if n < DELETE_BATCH:
            return total
