"""The operator CLI end to end, in-process, on the test database and Redis: outputs and exit codes."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from adserver import keys, tokens
from adserver.catalog_file import export_catalog, import_catalog, read_file
from tests.builders import catalog_file
from tests.conftest import EXAMPLE_CATALOG

EXAMPLE = str(EXAMPLE_CATALOG)
AI_ARTICLE = ["--topic", "artificial-intelligence", "--keywords", "agents,nvidia", "--title", "Japan's race for AI"]


@pytest.fixture
def imported(db):
    return import_catalog(db, read_file(EXAMPLE_CATALOG))


@pytest.fixture
def bad_file(tmp_path):
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0]["status"] = "running"
    data["advertisers"][0]["campaigns"][0]["creatives"][0]["cta"]["url"] = "javascript:alert(1)"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def rejected_reasons(stdout: str) -> dict[str, str]:
    """The `rejected:` table of `decide --explain` as {campaign: reason} (wrapped reasons joined)."""
    out: dict[str, str] = {}
    last = ""
    for line in stdout.split("rejected:")[1].strip().splitlines()[2:]:
        if line.startswith(" "):
            out[last] += " " + line.strip()
        elif line.strip():
            last, reason = re.split(r"\s{2,}", line.strip(), maxsplit=1)
            out[last] = reason
    return out


def widest_line(stdout: str) -> int:
    return max(len(line) for line in stdout.splitlines())


# catalog


def test_catalog_import_prints_counts(cli):
    r = cli("catalog", "import", EXAMPLE)
    assert r.exit_code == 0
    assert "46 created, 0 updated, 0 unchanged (catalog version 1)" in r.stdout


def test_catalog_reimport_reports_everything_unchanged(cli):
    cli("catalog", "import", EXAMPLE)
    r = cli("catalog", "import", EXAMPLE)
    assert r.exit_code == 0
    assert "0 created, 0 updated, 46 unchanged" in r.stdout


def test_catalog_import_of_a_bad_file_lists_every_bad_path_and_exits_1(cli, bad_file):
    r = cli("catalog", "import", str(bad_file))
    assert r.exit_code == 1
    assert "advertisers.0.campaigns.0.status: Must be one of: active, paused, archived." in r.stderr
    assert "advertisers.0.campaigns.0.creatives.0.cta.url:" in r.stderr


def test_catalog_import_of_a_bad_file_imports_nothing(cli, db, bad_file):
    cli("catalog", "import", str(bad_file))
    assert export_catalog(db) == {"advertisers": []}


def test_catalog_import_of_a_missing_file_is_a_usage_error(cli, tmp_path):
    r = cli("catalog", "import", str(tmp_path / "nope.yaml"))
    assert r.exit_code == 2
    assert "does not exist" in r.stderr


def test_catalog_validate_accepts_the_example_without_importing(cli, db):
    r = cli("catalog", "validate", EXAMPLE)
    assert r.exit_code == 0
    assert "is valid: 14 advertisers, 16 campaigns" in r.stdout
    assert db.catalog_version() == 0


def test_catalog_validate_reports_bad_paths_and_exits_1(cli, bad_file):
    r = cli("catalog", "validate", str(bad_file))
    assert r.exit_code == 1
    assert "advertisers.0.campaigns.0.status" in r.stderr


def test_catalog_export_to_stdout_is_yaml_of_the_catalog(cli, db, imported):
    r = cli("catalog", "export")
    assert r.exit_code == 0
    assert yaml.safe_load(r.stdout) == export_catalog(db)


def test_catalog_export_to_a_json_file_imports_back_unchanged(cli, imported, tmp_path):
    out = tmp_path / "catalog.json"
    assert cli("catalog", "export", "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text())["advertisers"][0]["id"] == "encore-live"
    r = cli("catalog", "import", str(out))
    assert "0 created, 0 updated, 46 unchanged" in r.stdout


def test_catalog_export_format_option_overrides_the_extension(cli, imported, tmp_path):
    out = tmp_path / "catalog.txt"
    cli("catalog", "export", "-o", str(out), "--format", "json")
    assert json.loads(out.read_text())["advertisers"]


# campaigns


def test_campaigns_list_is_a_table_with_serving_state_and_dates_visible(cli, imported):
    r = cli("campaigns", "list", "--wide")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0].split()[:4] == ["id", "advertiser", "serving", "prio"]
    rows = {line.split()[0]: line for line in lines[2:] if line.strip()}
    assert " paused " in rows["encore-comedy-tour"]
    assert " ended 2026-03-31 " in rows["voltdrive-winter-tyres"]
    assert "cpc 0.45" in rows["zahid-ai-side-projects"]
    assert "5,000 / 250" in rows["zahid-ai-side-projects"]
    assert "artificial-intelligence, developer-tools, machine-learning" in rows["zahid-ai-side-projects"]
    assert "16 campaigns" in r.stdout


def test_campaigns_list_fits_100_columns_by_wrapping(cli, imported):
    r = cli("campaigns", "list")
    assert widest_line(r.stdout) <= 100
    assert "artificial-" in r.stdout and "zahid-ai-side-projects" in r.stdout  # ids are never wrapped


def test_campaigns_list_wide_keeps_one_line_per_campaign(cli, imported):
    r = cli("campaigns", "list", "--wide")
    assert len([line for line in r.stdout.splitlines()[2:] if line.strip()]) == 16 + 1  # and the count line
    assert widest_line(r.stdout) > 100


def test_campaigns_list_by_advertiser_name_or_id(cli, imported):
    by_name = cli("campaigns", "list", "--advertiser", "encore live")
    by_id = cli("campaigns", "list", "--advertiser", "encore-live")
    assert by_name.stdout == by_id.stdout
    assert "encore-comedy-tour" in by_id.stdout and "encore-concert-tickets" in by_id.stdout
    assert "2 campaigns" in by_id.stdout and "zahid" not in by_id.stdout


def test_campaigns_list_of_an_unknown_advertiser_says_no_such_advertiser(cli, imported):
    r = cli("campaigns", "list", "--advertiser", "nobody")
    assert r.exit_code == 1
    assert "no such advertiser 'nobody'" in r.stderr
    assert "import" not in r.stderr


def test_advertisers_list_shows_ids_names_and_campaign_counts(cli, imported):
    r = cli("advertisers", "list")
    assert r.exit_code == 0
    rows = {line.split()[0]: line for line in r.stdout.splitlines()[2:] if line.strip()}
    assert "Northbound Rail Passes" in rows["northbound-rail"]
    assert rows["voltdrive"].rstrip().endswith("2 / 2") and rows["encore-live"].rstrip().endswith("1 / 2")
    assert "14 advertisers" in r.stdout
    assert widest_line(r.stdout) <= 100


def test_advertisers_list_on_an_empty_catalog_says_so(cli):
    assert "no advertisers" in cli("advertisers", "list").stdout


def test_resuming_an_ended_campaign_says_it_cannot_serve(cli, imported):
    r = cli("campaigns", "resume", "voltdrive-winter-tyres")
    assert r.exit_code == 0
    assert r.stdout == (
        "campaign voltdrive-winter-tyres is active but cannot serve: it ended on 2026-03-31 (its flight dates)\n"
    )


def test_archived_campaign_is_listed_as_archived_and_stops_winning(cli, imported):
    assert (
        cli("campaigns", "archive", "zahid-ai-side-projects").stdout == "campaign zahid-ai-side-projects is archived\n"
    )
    assert "zahid-ai-side-projects" in cli("campaigns", "list", "--status", "archived").stdout
    assert "chosen: zahid" not in cli("decide", *AI_ARTICLE).stdout


def test_campaigns_list_on_an_empty_catalog_says_so(cli):
    r = cli("campaigns", "list")
    assert r.exit_code == 0
    assert "no campaigns" in r.stdout


def test_paused_campaign_stops_winning(cli, imported):
    assert cli("campaigns", "pause", "zahid-ai-side-projects").stdout == "campaign zahid-ai-side-projects is paused\n"
    r = cli("decide", *AI_ARTICLE)
    assert "zahid" not in r.stdout


def test_resumed_campaign_wins_again(cli, imported):
    cli("campaigns", "pause", "zahid-ai-side-projects")
    cli("campaigns", "resume", "zahid-ai-side-projects")
    assert "chosen: zahid-ai-side-projects" in cli("decide", *AI_ARTICLE).stdout


def test_pausing_bumps_the_catalog_version(cli, db, imported):
    cli("campaigns", "pause", "zahid-ai-side-projects")
    assert db.catalog_version() == imported["version"] + 1


def test_pausing_an_unknown_campaign_exits_1(cli):
    r = cli("campaigns", "pause", "nope")
    assert r.exit_code == 1
    assert "no campaign 'nope'" in r.stderr


# tokens


def test_tokens_create_prints_only_the_token_on_stdout(cli, db, imported):
    r = cli("tokens", "create", "zahid-host", "--label", "reports")
    assert r.exit_code == 0
    token = r.stdout.strip()
    assert tokens.authenticate(db, token).advertiser_id == "zahid-host"
    assert "cannot be shown again" in r.stderr


def test_tokens_create_operator(cli, db):
    token = cli("tokens", "create", "--operator").stdout.strip()
    assert tokens.authenticate(db, token).is_operator


def test_tokens_create_for_unknown_advertiser_exits_1(cli):
    r = cli("tokens", "create", "nobody")
    assert r.exit_code == 1
    assert "no advertiser 'nobody'" in r.stderr


def test_tokens_create_needs_an_owner(cli):
    assert cli("tokens", "create").exit_code == 2


def test_tokens_list_shows_prefixes_never_tokens(cli, imported):
    token = cli("tokens", "create", "zahid-host", "--label", "reports").stdout.strip()
    r = cli("tokens", "list", "zahid-host")
    assert r.exit_code == 0
    assert token[: tokens.PREFIX_LENGTH] + "…" in r.stdout
    assert token not in r.stdout
    assert "reports" in r.stdout


def test_tokens_revoke_by_prefix_refuses_the_token(cli, db, imported):
    token = cli("tokens", "create", "zahid-host").stdout.strip()
    r = cli("tokens", "revoke", "zahid-host", "--prefix", token[: tokens.PREFIX_LENGTH])
    assert (r.exit_code, r.stdout) == (0, "revoked 1 token\n")
    assert tokens.authenticate(db, token) is None


def test_tokens_revoke_all_revokes_every_token_of_the_advertiser(cli, db, imported):
    made = [cli("tokens", "create", "zahid-host").stdout.strip() for _ in range(2)]
    assert cli("tokens", "revoke", "zahid-host", "--all").stdout == "revoked 2 tokens\n"
    assert [tokens.authenticate(db, t) for t in made] == [None, None]


def test_tokens_revoke_needs_prefix_or_all(cli, imported):
    assert cli("tokens", "revoke", "zahid-host").exit_code == 2
    assert cli("tokens", "revoke", "zahid-host", "--all", "--prefix", "ads_x").exit_code == 2


def test_tokens_revoke_unknown_prefix_exits_1(cli, imported):
    r = cli("tokens", "revoke", "zahid-host", "--prefix", "ads_nothere")
    assert r.exit_code == 1
    assert "no live token" in r.stderr


# decide


def test_decide_prints_the_chosen_card(cli, imported):
    r = cli("decide", *AI_ARTICLE)
    assert r.exit_code == 0
    assert "chosen: zahid-ai-side-projects (zahid.host)" in r.stdout
    assert "reading about agents? ship yours in a single git push." in r.stdout
    assert "Run your AI side-project on zahid.host" in r.stdout
    assert "Get free account →  https://zahid.host/signup?utm_source=adserver" in r.stdout


def test_decide_explain_shows_score_parts_and_rejections(cli, imported):
    r = cli("decide", *AI_ARTICLE, "--explain", "--wide")
    assert r.exit_code == 0
    assert "topic=3 keywords=2" in r.stdout
    assert "targets topic 'artificial-intelligence'" in r.stdout
    rejected = rejected_reasons(r.stdout)
    assert rejected["encore-comedy-tour"] == "status is paused"
    assert rejected["voltdrive-winter-tyres"] == "outside its flight dates"


def test_decide_explain_wraps_its_reasons_within_100_columns(cli, imported):
    r = cli("decide", *AI_ARTICLE, "--explain")
    assert widest_line(r.stdout) <= 100
    assert "targets topic 'artificial-intelligence'" in " ".join(r.stdout.split())  # wrapped, not cut
    assert widest_line(cli("decide", *AI_ARTICLE, "--explain", "--wide").stdout) > 100


def test_decide_with_nothing_eligible_says_no_fill_and_exits_0(cli, imported):
    r = cli("decide", "--topic", "religion", "--sentiment", "negative")
    assert r.exit_code == 0
    assert "no fill" in r.stdout


def test_decide_respects_excluded_sentiment(cli, imported):
    r = cli("decide", "--topic", "personal-finance", "--sentiment", "negative", "--explain")
    assert r.stdout.startswith("chosen: tallybooks-smb-accounting")  # business covers personal finance
    assert rejected_reasons(r.stdout)["ledgerly-index-investing"] == "excludes negative sentiment"


def test_decide_json_has_the_card_and_the_explanation(cli, imported):
    r = cli("decide", *AI_ARTICLE, "--json", "--explain")
    body = json.loads(r.stdout)
    assert body["decision"]["campaign"]["id"] == "zahid-ai-side-projects"
    assert body["decision"]["card"]["hook_variant"] == "artificial-intelligence"
    assert {"campaign": "encore-comedy-tour", "reason": "status is paused", "match": None} in body["explain"][
        "rejected"
    ]


def test_decide_json_no_fill_is_a_null_decision(cli, imported):
    assert json.loads(cli("decide", "--topic", "religion", "--sentiment", "negative", "--json").stdout) == {
        "decision": None
    }


def test_decide_unknown_placement_exits_1_naming_the_field(cli, imported):
    r = cli("decide", "--topic", "sport", "--placement", "popup")
    assert r.exit_code == 1
    assert "placement: Must be one of: article-footer" in r.stderr


def test_decide_without_any_context_exits_1(cli, imported):
    r = cli("decide")
    assert r.exit_code == 1
    assert "Give at least one of topic, keywords or title." in r.stderr


def test_decide_sees_catalog_changes_immediately(cli, imported):
    assert "chosen: matchday-live-football" in cli("decide", "--topic", "sport").stdout
    cli("campaigns", "pause", "matchday-live-football")
    assert "chosen: matchday-live-football" not in cli("decide", "--topic", "sport").stdout


def test_campaigns_list_filters_by_status(cli, imported):
    r = cli("campaigns", "list", "--status", "paused")
    assert "encore-comedy-tour" in r.stdout
    assert "zahid-ai-side-projects" not in r.stdout


def test_tokens_revoke_operator_tokens(cli, db):
    token = cli("tokens", "create", "--operator").stdout.strip()
    assert cli("tokens", "revoke", "--operator", "--all").stdout == "revoked 1 token\n"
    assert tokens.authenticate(db, token) is None


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
    from adserver.redis_server import free_port

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
    from adserver.redis_server import free_port

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
