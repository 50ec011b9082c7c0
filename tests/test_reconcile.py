from datetime import UTC, datetime

from click.testing import CliRunner
from sqlalchemy import update

from adserver.cli import main
from adserver.reconcile import reconcile
from adserver.storage import DailyRollup
from tests.events_helpers import decide, drain, path


def today():
    return datetime.now(UTC).date()


def test_pipeline_counts_agree_after_drain(client, services, example_catalog):
    body = decide(client)
    client.post(path(body["tracking"]["view_url"]))
    drain(services)
    assert reconcile(services.db, services.redis, today()) == []


def test_reconcile_finds_a_planted_rollup_mismatch(client, services, example_catalog):
    decide(client)
    drain(services)
    with services.db.session() as s:
        s.execute(update(DailyRollup).values(impressions=DailyRollup.impressions + 5))
    (diff,) = reconcile(services.db, services.redis, today())
    assert (diff.column, diff.raw, diff.rollup) == ("impressions", 1, 6)


def test_reconcile_command_exits_1_and_prints_the_difference(client, services, example_catalog, settings_overrides):
    decide(client)
    drain(services)
    services.redis.delete(f"adserver:events:counts:{today().isoformat()}")
    env = {"DATABASE_URL": settings_overrides["database_url"], "REDIS_URL": settings_overrides["redis_url"]}
    r = CliRunner().invoke(main, ["events", "reconcile", "--date", today().isoformat()], env=env)
    assert r.exit_code == 1 and "impressions" in r.output


def test_status_command_reports_buffered_events(client, services, example_catalog, settings_overrides):
    services.events.stop()  # keep the flusher from sealing while we look
    decide(client)
    env = {"DATABASE_URL": settings_overrides["database_url"], "REDIS_URL": settings_overrides["redis_url"]}
    r = CliRunner().invoke(main, ["events", "status"], env=env)
    assert r.exit_code == 0 and "buffer_length    1" in r.output
