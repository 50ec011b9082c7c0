"""Raw events by decision day: PostgreSQL partitions, the default partition, retention, the migration."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from adserver.events import partitions, store
from adserver.infra import migrate, storage
from adserver.infra.storage import Database
from tests.builders import BROWSER, path, raw_count, rollup, serve, zahid_event
from tests.conftest import BACKEND

postgresql_only = pytest.mark.skipif(BACKEND != "postgresql", reason="partitions exist on PostgreSQL only")
TODAY = partitions.today()


def at(day: date, hour: int = 12) -> str:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC).isoformat()


def rows_in(db, table: str) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_a_view_is_filed_under_the_day_of_its_decision(client, db, persist, example_catalog):
    d = serve(client)
    assert client.post(path(d["tracking"]["view_url"]), headers=BROWSER).status_code == 204
    persist()
    with db.sessionmaker() as s:
        days = dict(s.execute(select(storage.Event.event_type, storage.Event.decided_on)).all())
    assert days == {"impression": TODAY, "view": TODAY}


def test_two_copies_of_one_click_at_different_times_are_stored_once(db):
    day = TODAY - timedelta(days=1)
    first = zahid_event("d1", "click", occurred_at=at(day, 23), decided_on=day.isoformat(), cost=0.45)
    later = zahid_event("d1", "click", occurred_at=at(TODAY, 1), decided_on=day.isoformat(), cost=0.45)
    assert store.write_batch(db, [first]) == 1
    assert store.write_batch(db, [later]) == 0
    assert raw_count(db) == 1
    assert rollup(db)["clicks"] == 1


@postgresql_only
def test_an_event_of_a_day_without_partition_waits_in_the_default_partition_until_one_is_made(db):
    far = TODAY + timedelta(days=40)
    assert store.write_batch(db, [zahid_event("d1", occurred_at=at(far))]) == 1
    assert rows_in(db, partitions.DEFAULT) == 1
    assert far in partitions.ensure_partitions(db)
    assert rows_in(db, partitions.DEFAULT) == 0
    assert rows_in(db, partitions.partition_name(far)) == 1
    assert store.write_batch(db, [zahid_event("d1", occurred_at=at(far))]) == 0  # the unique key still holds


@postgresql_only
def test_partitions_are_made_a_week_ahead_and_making_them_again_changes_nothing(db):
    partitions.ensure_partitions(db)
    with db.engine.connect() as conn:
        days = set(partitions.day_partitions(conn))
    assert {TODAY + timedelta(days=n) for n in range(-1, partitions.DAYS_AHEAD + 1)} <= days
    assert partitions.ensure_partitions(db) == []


def test_prune_removes_raw_events_of_old_days_and_keeps_rollups_and_recent_days(db, cli):
    days = [TODAY - timedelta(days=100), TODAY - timedelta(days=91), TODAY - timedelta(days=90), TODAY]
    store.write_batch(db, [zahid_event(f"d{i}", occurred_at=at(day)) for i, day in enumerate(days)])
    partitions.ensure_partitions(db)  # the old days' rows were in the default partition: now in their own
    before = rollup(db)
    r = cli("events", "prune", "--older-than", "90d")
    assert r.exit_code == 0, r.output
    with db.sessionmaker() as s:
        kept = sorted(s.scalars(select(storage.Event.decided_on)))
    assert kept == days[2:]
    assert rollup(db) == before
    expected = "2 day partitions dropped, 0 rows deleted" if BACKEND == "postgresql" else "0 day partitions dropped, 2"
    assert expected in r.output


@postgresql_only
def test_prune_deletes_old_rows_still_in_the_default_partition(db):
    old = TODAY - timedelta(days=200)
    store.write_batch(db, [zahid_event("d1", occurred_at=at(old)), zahid_event("d2")])
    assert rows_in(db, partitions.DEFAULT) == 1
    assert partitions.prune(db, timedelta(days=90)) == partitions.Pruned(0, 1)
    assert raw_count(db) == 1


@pytest.mark.parametrize("bad", ["90", "90x", "0d", "-3d", "d"])
def test_prune_refuses_an_age_that_is_not_whole_days(cli, bad):
    r = cli("events", "prune", "--older-than", bad)
    assert r.exit_code == 2
    assert "--older-than" in r.output and "90d" in r.output


def test_migrating_an_existing_events_table_keeps_its_rows(empty_database_url):
    db = Database(empty_database_url)
    try:
        migrate.upgrade(db, "0011")
        legacy = sa.table("events", *(sa.column(c) for c in ["decision_id", "event_type", *LEGACY_VALUES]))
        old, yesterday = TODAY - timedelta(days=30), TODAY - timedelta(days=1)
        with db.engine.begin() as conn:
            conn.execute(
                legacy.insert(),
                [
                    LEGACY_VALUES | {"decision_id": "a", "event_type": "impression", "occurred_at": at(old, 23)},
                    LEGACY_VALUES | {"decision_id": "a", "event_type": "click", "occurred_at": at(old + timedelta(1))},
                    LEGACY_VALUES | {"decision_id": "b", "event_type": "impression", "occurred_at": at(yesterday)},
                ],
            )
        migrate.upgrade(db)
        with db.sessionmaker() as s:
            rows = s.execute(select(storage.Event.decision_id, storage.Event.event_type, storage.Event.decided_on))
            assert sorted(rows) == [
                ("a", "click", old + timedelta(1)),
                ("a", "impression", old),
                ("b", "impression", yesterday),
            ]
            assert s.scalar(select(func.max(storage.Event.id))) == 3
        # New rows get new ids (the sequence moved with the table), and the unique key holds.
        assert store.write_batch(db, [zahid_event("a", occurred_at=at(old, 23)), zahid_event("c")]) == 1
        with db.sessionmaker() as s:
            assert s.scalar(select(storage.Event.id).where(storage.Event.decision_id == "c")) > 3
        if BACKEND == "postgresql":
            assert rows_in(db, partitions.DEFAULT) == 0
            assert rows_in(db, partitions.partition_name(old)) == 1
        migrate.downgrade(db, "0011")
        assert rows_in(db, "events") == 4
    finally:
        db.dispose()


LEGACY_VALUES = dict(
    campaign_id="zahid-ai-side-projects", creative_id="k", advertiser_id="a", placement="p", topic="t",
    hook_variant="", score=None, billable=True, reason="", cost=0, occurred_at=None, ip_hash="", ua_class="",
    keywords="[]",
)  # fmt: skip
