"""Migrations: an empty database upgrades to head, matches the models, downgrades to base and back."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from adserver.catalog import api_tokens, sites
from adserver.catalog.files import import_catalog
from adserver.events.partitions import include_name
from adserver.infra import migrate
from adserver.infra.storage import Base, DailyRollup, Database, Event
from tests.builders import catalog_file

APP_TABLES = set(Base.metadata.tables)


@pytest.fixture
def empty_db(empty_database_url):
    db = Database(empty_database_url)
    yield db
    db.dispose()


def head() -> str:
    return ScriptDirectory(str(migrate.MIGRATIONS)).get_current_head()


def tables(db: Database) -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_empty_database_has_no_revision(empty_db):
    assert migrate.current(empty_db) is None


def test_upgrade_from_empty_reaches_head_with_every_table(empty_db):
    migrate.upgrade(empty_db)
    assert migrate.current(empty_db) == head()
    assert APP_TABLES <= tables(empty_db)


def test_migrated_schema_matches_the_models(empty_db):
    migrate.upgrade(empty_db)
    with empty_db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
        assert compare_metadata(ctx, Base.metadata) == []


def test_downgrade_to_base_removes_every_table(empty_db):
    migrate.upgrade(empty_db)
    migrate.downgrade(empty_db, "base")
    assert migrate.current(empty_db) is None
    assert not APP_TABLES & tables(empty_db)


def test_upgrade_after_downgrade_gives_a_working_catalog(empty_db):
    migrate.upgrade(empty_db)
    migrate.downgrade(empty_db, "base")
    migrate.upgrade(empty_db)
    assert import_catalog(empty_db, catalog_file())["created"] == 3


def test_upgrade_twice_is_a_no_op(empty_db):
    migrate.upgrade(empty_db)
    migrate.upgrade(empty_db)
    assert migrate.current(empty_db) == head()


def test_upgrade_to_0003_splits_existing_nonbillable_rollups_by_reason(empty_db):
    migrate.upgrade(empty_db, "0002")
    at = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    event = dict(
        campaign_id="c", creative_id="k", advertiser_id="a", placement="p", topic="t", hook_variant="", score=None,
        billable=False, cost=0, occurred_at=at, ip_hash="", ua_class="", keywords=[],
    )  # fmt: skip
    counts = ["impressions", "views", "clicks", "nonbillable_impressions", "nonbillable_views", "nonbillable_clicks"]
    rollups = sa.table("daily_rollups", *(sa.column(c) for c in ["day", "campaign_id", "creative_id", "placement",
                                                                 "topic", *counts, "spend"]))  # fmt: skip
    with empty_db.engine.begin() as conn:
        conn.execute(
            Event.__table__.insert(),
            [
                event | {"decision_id": "1", "event_type": "impression", "reason": "bot"},
                event | {"decision_id": "2", "event_type": "impression", "reason": "prefetch"},
                event | {"decision_id": "2", "event_type": "click", "reason": "no_user_agent"},
            ],
        )
        conn.execute(
            rollups.insert().values(
                day=date(2026, 11, 20), campaign_id="c", creative_id="k", placement="p", topic="t",
                **dict.fromkeys(counts, 0), spend=0,
            ).values(nonbillable_impressions=2, nonbillable_clicks=1)
        )  # fmt: skip
    migrate.upgrade(empty_db)
    with empty_db.sessionmaker() as s:
        r = s.scalars(sa.select(DailyRollup)).one()
    assert (r.bot_impressions, r.prefetch_impressions, r.bot_clicks, r.bot_views, r.rate_limited_clicks) == (
        1,
        1,
        1,
        0,
        0,
    )


def test_upgrade_to_0012_keeps_old_rollups_as_unknown_and_downgrade_adds_the_countries_together(empty_db):
    migrate.upgrade(empty_db, "0008")
    key = dict(day=date(2026, 11, 20), campaign_id="c", creative_id="k", placement="p", topic="t")
    with empty_db.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO daily_rollups (day, campaign_id, creative_id, placement, topic, impressions, views, clicks, "
            "nonbillable_impressions, nonbillable_views, nonbillable_clicks, spend) "
            "VALUES (:day, :campaign_id, :creative_id, :placement, :topic, 5, 2, 1, 0, 0, 0, 1.5)"
        ), key)  # fmt: skip
        conn.execute(sa.text(
            "INSERT INTO events (decision_id, event_type, decided_on, campaign_id, creative_id, advertiser_id, "
            "placement, topic, hook_variant, billable, reason, cost, occurred_at, ip_hash, ua_class, keywords) "
            "VALUES ('d1', 'impression', :day, 'c', 'k', 'a', 'p', 't', '', :yes, '', 0, :at, '', 'mobile', '[]')"
        ), {"day": key["day"], "yes": True, "at": datetime(2026, 11, 20, 12, tzinfo=UTC)})  # fmt: skip
    migrate.upgrade(empty_db)
    with empty_db.sessionmaker() as s:  # on PostgreSQL the column reaches the day's partition too
        assert s.scalars(sa.select(Event.country)).all() == [""]
    with empty_db.sessionmaker() as s:
        old = s.scalars(sa.select(DailyRollup)).one()
        assert (old.country, old.device, old.impressions, old.clicks) == ("unknown", "unknown", 5, 1)
        s.add(DailyRollup(**key, country="DE", device="mobile", impressions=3, views=0, clicks=0, spend=0,
                          nonbillable_impressions=0, nonbillable_views=0, nonbillable_clicks=0))  # fmt: skip
        s.commit()
    migrate.downgrade(empty_db, "0008")
    with empty_db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT impressions, clicks, spend FROM daily_rollups")).all()
    assert [(int(i), int(c), float(sp)) for i, c, sp in rows] == [(8, 1, 1.5)]


def test_downgrade_below_publisher_tokens_removes_them_rather_than_leave_operator_tokens(empty_db):
    migrate.upgrade(empty_db)
    sites.save(empty_db, {"id": "north", "name": "North", "domains": ["north.example"]}, create=True)
    operator, publisher = api_tokens.create(empty_db, None), api_tokens.create(empty_db, None, site_id="north")
    migrate.downgrade(empty_db, "0016")  # without `site_id`, a publisher's token would read as the operator's
    with empty_db.engine.connect() as conn:
        hashes = conn.execute(sa.text("SELECT token_hash FROM api_tokens")).scalars().all()
    assert hashes == [api_tokens.hash_token(operator)] and api_tokens.hash_token(publisher) not in hashes
