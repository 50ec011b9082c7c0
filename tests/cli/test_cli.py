"""The operator CLI end to end, in-process, on the test database and Redis: outputs and exit codes."""

from __future__ import annotations

import pytest

from adserver.infra import keys
from tests.conftest import EXAMPLE_CATALOG

EXAMPLE = str(EXAMPLE_CATALOG)


def test_bad_setting_fails_with_one_line(settings_overrides):
    from click.testing import CliRunner

    from adserver.cli import main

    r = CliRunner().invoke(main, ["campaigns", "list"], env={"DATABASE_URL": "mysql://nope"})
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == [
        "error: setting DATABASE_URL='mysql://nope': use sqlite:/// or postgresql+psycopg://"
    ]


# outages and versions


def outage_cli(settings_overrides, *args: str, database_url: str | None = None, redis_url: str | None = None):
    """`adserver ARGS` with one service pointed somewhere else (down, or not migrated)."""
    from click.testing import CliRunner

    from adserver.cli import main

    urls = ["--database-url", database_url or settings_overrides["database_url"]]
    urls += ["--redis-url", redis_url or settings_overrides["redis_url"]]
    env = {"MODELS_DIR": settings_overrides["models_dir"], "SECRET_KEY": settings_overrides["secret_key"]}
    return CliRunner().invoke(main, [*urls, *args], env=env)


def test_version_prints_the_package_version(cli):
    from adserver import __version__

    r = cli("--version")
    assert r.exit_code == 0 and r.stdout.strip() == f"adserver, version {__version__}"


@pytest.mark.parametrize("args", [("events", "replay"), ("events", "status"), ("worker", "--burst")])
def test_with_redis_down_a_command_prints_one_line_and_exits_non_zero(settings_overrides, args):
    from adserver.infra.redis_server import free_port

    down = f"redis://127.0.0.1:{free_port()}/0"
    r = outage_cli(settings_overrides, *args, redis_url=down)
    assert r.exit_code == 3
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith(f"error: Redis at {down} is unreachable (") and line.endswith("start it, or set REDIS_URL")


@pytest.mark.parametrize("args", [("campaigns", "list"), ("events", "reconcile"), ("catalog", "import", EXAMPLE)])
def test_on_a_database_not_migrated_a_command_says_to_run_db_upgrade(settings_overrides, empty_database_url, args):
    r = outage_cli(settings_overrides, *args, database_url=empty_database_url)
    assert r.exit_code == 3
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("error: the SQL database ") and line.endswith(
        "is not migrated to this version: run `adserver db upgrade`"
    )


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_with_sql_unreachable_a_command_prints_one_line_and_exits_non_zero(settings_overrides, tmp_path, engine):
    from adserver.infra.redis_server import free_port

    down = {
        "sqlite": f"sqlite:///{tmp_path}",  # a directory: SQLite cannot open it
        "postgresql": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/adserver",
    }
    r = outage_cli(settings_overrides, "campaigns", "list", database_url=down[engine])
    assert r.exit_code == 3
    (line,) = r.stderr.strip().splitlines()
    assert "is unreachable (" in line and line.endswith("start it, or set DATABASE_URL")


def test_replay_persists_what_waits_once_the_database_is_upgraded(services, settings_overrides, empty_database_url):
    from tests.builders import zahid_event

    services.redis.rpush(keys.INCOMING, zahid_event("d1").to_json())
    r = outage_cli(settings_overrides, "events", "replay", database_url=empty_database_url)
    assert r.exit_code == 3 and "run `adserver db upgrade`" in r.stderr
    assert outage_cli(settings_overrides, "db", "upgrade", database_url=empty_database_url).exit_code == 0
    r = outage_cli(settings_overrides, "events", "replay", database_url=empty_database_url)
    assert r.exit_code == 0 and "orphaned batches: 1 new events" in r.stdout
