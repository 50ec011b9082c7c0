"""Alembic migrations from an empty database, both ways, on the suite's backend."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from adserver import migrate
from adserver.storage import Base, Database
from tests.conftest import BACKEND, PG_URL


def fresh_database(tmp_path) -> tuple[Database, callable]:
    if BACKEND == "sqlite":
        return Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}"), lambda: None
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"adserver_mig_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))

    def drop():
        db.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return db, drop


def test_upgrade_from_empty_creates_every_table_and_downgrade_removes_them(tmp_path):
    db, drop = fresh_database(tmp_path)
    try:
        assert migrate.current(db) is None
        migrate.upgrade(db)
        assert migrate.current(db) is not None
        tables = set(inspect(db.engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        migrate.downgrade(db, "base")
        assert set(Base.metadata.tables).isdisjoint(inspect(db.engine).get_table_names())
        migrate.upgrade(db)
        assert set(Base.metadata.tables) <= set(inspect(db.engine).get_table_names())
    finally:
        drop()


def test_models_match_the_migrations(tmp_path):
    """Autogenerate finds nothing to do: the tables in storage.py and the migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    db, drop = fresh_database(tmp_path)
    try:
        migrate.upgrade(db)
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        drop()
