"""Fixtures on the real services: a real Redis and a real SQL database (SQLite or PostgreSQL).

Backend: `ADSERVER_TEST_DATABASE=sqlite|postgresql` (default sqlite). PostgreSQL tests create a
private database per test session from `TEST_POSTGRES_URL` (default: local server, database test)
and drop it at the end. Redis: `REDIS_URL` when set and answering, else a private redis-server.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from adserver import create_app
from adserver.catalog.files import import_catalog, read_file
from adserver.events import jobs
from adserver.infra.migrate import upgrade
from adserver.infra.redis_server import answers, start_local
from adserver.infra.storage import Database
from tests.builders import LEDGERLY_CAMPAIGN, ZAHID_CAMPAIGN, rollup_row

ROOT = Path(__file__).resolve().parent.parent
# The suite's own CLI runs and subprocesses are the test environment too (the default is production,
# which refuses the public development SECRET_KEY); `settings_overrides` says the same for apps.
os.environ.setdefault("ENVIRONMENT", "test")
EXAMPLE_CATALOG = ROOT / "config" / "catalog.example.yaml"
BACKEND = os.environ.get("ADSERVER_TEST_DATABASE", "sqlite")
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def throwaway_postgres(prefix: str, server: str = PG_URL):
    """A new PostgreSQL database on the test server (or `server`'s), dropped (even with open connections) afterwards."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# The fixtures through which a test reaches SQL. The PostgreSQL pass runs only the tests that use one (and those
# marked `postgresql`, which reach it another way): a test of pure code, the model or parsing gave its answer in
# the SQLite pass, and running it twice spent a third of CI's time.
SQL_FIXTURES = frozenset({"sql_server", "empty_database_url"})


def pytest_collection_modifyitems(config, items):
    if BACKEND != "postgresql":
        return
    kept, dropped = [], []
    for item in items:
        sql = SQL_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("postgresql")
        (kept if sql else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_report_header(config):
    return f"adserver SQL backend: {BACKEND}"


@pytest.fixture(scope="session")
def redis_server():
    """A Redis for the session: REDIS_URL if set and answering, else our own process."""
    url = os.environ.get("REDIS_URL")
    if url and answers(url):
        yield url, None
        return
    server = start_local()
    yield server.url, server
    server.stop()


@pytest.fixture(scope="module")
def redis_cluster():
    """A Redis Cluster of three local masters (real processes) for the module's tests."""
    from tests.redis_topologies import start_cluster

    setup = start_cluster()
    yield setup
    setup.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server):
    return redis_server[0]


@pytest.fixture(scope="session")
def sql_server(tmp_path_factory):
    """A database URL for the session on the chosen backend (a fresh, empty database)."""
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sql') / 'base.sqlite3'}"
        return
    if BACKEND != "postgresql":
        raise pytest.UsageError(f"ADSERVER_TEST_DATABASE={BACKEND!r}: use sqlite or postgresql")
    with throwaway_postgres("adserver_test") as url:
        yield url


def _reset(db: Database) -> None:
    """Empty every table between tests (cheaper than re-migrating)."""
    from adserver.infra.storage import Base

    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(scope="session")
def migrated_url(sql_server):
    db = Database(sql_server)
    upgrade(db)
    db.dispose()
    return sql_server


@pytest.fixture(scope="session")
def empty_models_dir(tmp_path_factory):
    """No active model: the app serves with the overlap ranker unless a test activates one (an empty ACTIVE says
    so; without one the directory would be seeded with the shipped model)."""
    path = tmp_path_factory.mktemp("models")
    (path / "ACTIVE").write_text("")
    return path


@pytest.fixture
def settings_overrides(migrated_url, redis_url, empty_models_dir):
    return {
        "models_dir": str(empty_models_dir),
        "database_url": migrated_url,
        "redis_url": redis_url,
        "secret_key": "test-secret-key-0123456789",
        "environment": "test",
        "catalog_poll_seconds": 0,
    }


@pytest.fixture
def app(settings_overrides):
    app = create_app(settings_overrides)
    svc = app.extensions["adserver"]
    _reset(svc.db)
    svc.redis.flushdb()
    yield app
    svc.close()


@pytest.fixture
def services(app):
    return app.extensions["adserver"]


@pytest.fixture
def db(services):
    return services.db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def load_catalog(services):
    """Import a catalog (dict or the example file) and make the app see it now."""

    def load(data=None):
        counts = import_catalog(services.db, read_file(EXAMPLE_CATALOG) if data is None else data)
        services.catalog.refresh(force=True)
        return counts

    return load


@pytest.fixture
def example_catalog(load_catalog):
    load_catalog()


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new, empty database on the chosen backend (for migration tests), dropped afterwards."""
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    with throwaway_postgres("adserver_empty") as url:
        yield url


@pytest.fixture
def cli(app, settings_overrides):
    """Run `adserver ARGS...` in-process against the test database and Redis; returns click's Result."""
    from click.testing import CliRunner

    from adserver.cli import main

    base = ["--database-url", settings_overrides["database_url"], "--redis-url", settings_overrides["redis_url"]]

    env = {
        "MODELS_DIR": settings_overrides["models_dir"],  # the test's models, not the repo's shipped one
        "ENVIRONMENT": settings_overrides["environment"],
        "SECRET_KEY": settings_overrides["secret_key"],
    }

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(main, [*base, *args], input=input, catch_exceptions=False, env=env)

    return run


@pytest.fixture
def persist(services):
    """Run the worker's job in-process (the same function rq runs)."""
    jobs.use(services)

    def run() -> int:
        return jobs.persist_pending(batch="test")

    return run


@pytest.fixture
def rollups(db, example_catalog):
    with db.session() as s:
        s.add_all(
            [
                rollup_row(
                    date(2026, 11, 1),
                    ZAHID_CAMPAIGN,
                    100,
                    60,
                    3,
                    "1.5",
                    nb=7,
                    bot_impressions=5,
                    prefetch_impressions=2,
                    bot_views=4,
                    bot_clicks=1,
                    rate_limited_views=9,
                    rate_limited_clicks=6,
                    country="DE",
                    device="mobile",
                ),
                rollup_row(date(2026, 11, 2), ZAHID_CAMPAIGN, 50, 20, 1, "0.5", topic="tech"),
                rollup_row(date(2026, 11, 2), ZAHID_CAMPAIGN, 10, 5, 0, "0.1", creative="c2"),
                rollup_row(date(2026, 11, 1), LEDGERLY_CAMPAIGN, 999, 999, 99, "9"),
            ]
        )


@pytest.fixture
def imported(db):
    """The example catalog imported (the CLI tests' starting point); its import counts."""
    return import_catalog(db, read_file(EXAMPLE_CATALOG))
