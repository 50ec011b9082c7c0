"""Migrations: an empty database upgrades to head, matches the models, downgrades to base and back."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from adserver import migrate
from adserver.catalog_file import import_catalog
from adserver.storage import Base, Database
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
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
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
