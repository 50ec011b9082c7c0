"""The operator CLI, run through click against the test database and Redis."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from adserver.cli import main
from tests.conftest import EXAMPLE_CATALOG


@pytest.fixture
def run(settings_overrides, app):
    """Invoke `adserver ...` with the suite's database and Redis; returns the click Result."""
    env = {
        "DATABASE_URL": settings_overrides["database_url"],
        "REDIS_URL": settings_overrides["redis_url"],
        "SECRET_KEY": settings_overrides["secret_key"],
        "CATALOG_POLL_SECONDS": "0",
    }

    def invoke(*args):
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


def test_catalog_import_reports_counts_then_is_idempotent(run):
    first = run("catalog", "import", str(EXAMPLE_CATALOG))
    assert first.exit_code == 0 and " created" in first.output
    second = run("catalog", "import", str(EXAMPLE_CATALOG))
    assert "0 created, 0 updated" in second.output


def test_catalog_import_lists_every_bad_field_and_exits_1(run, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "advertisers": [
                    {
                        "id": "Bad Id",
                        "name": "",
                        "campaigns": [
                            {"id": "c", "name": "c", "pricing": {"model": "cpx", "price": -1}, "creatives": []}
                        ],
                    }
                ]
            }
        )
    )
    r = run("catalog", "import", str(bad))
    assert r.exit_code == 1
    for path in (
        "advertisers.0.id",
        "advertisers.0.name",
        "advertisers.0.campaigns.0.pricing.model",
        "advertisers.0.campaigns.0.pricing.price",
        "advertisers.0.campaigns.0.creatives",
    ):
        assert f"  {path}: " in r.output
    assert "0 campaign(s)" in run("campaigns", "list").output


def test_catalog_export_is_importable_json(run, tmp_path):
    run("catalog", "import", str(EXAMPLE_CATALOG))
    out = tmp_path / "export.json"
    assert run("catalog", "export", "--format", "json", "-o", str(out)).exit_code == 0
    assert "0 created, 0 updated" in run("catalog", "import", str(out)).output


def test_campaigns_list_pause_resume(run):
    run("catalog", "import", str(EXAMPLE_CATALOG))
    assert "zahid-ai-side-projects" in run("campaigns", "list").output
    assert run("campaigns", "pause", "zahid-ai-side-projects").exit_code == 0
    assert "zahid-ai-side-projects" in run("campaigns", "list", "--status", "paused").output
    run("campaigns", "resume", "zahid-ai-side-projects")
    assert "zahid-ai-side-projects" not in run("campaigns", "list", "--status", "paused").output


def test_pausing_an_unknown_campaign_is_one_clear_error(run):
    r = run("campaigns", "pause", "nope")
    assert r.exit_code == 1 and "no campaign 'nope'" in r.output


def test_decide_explains_the_choice(run):
    run("catalog", "import", str(EXAMPLE_CATALOG))
    r = run("decide", "--topic", "artificial-intelligence", "--keywords", "agents", "--explain")
    assert r.exit_code == 0
    assert "chosen: zahid-ai-side-projects" in r.output
    assert "reading about agents?" in r.output
    assert "status is paused" in r.output  # the rejected list says why


def test_decide_json_matches_the_api_core(run):
    run("catalog", "import", str(EXAMPLE_CATALOG))
    data = json.loads(run("decide", "--topic", "sport", "--json").output)
    assert data["campaign"] == "matchday-live-football"


def test_decide_with_no_fill_says_so(run):
    run("catalog", "import", str(EXAMPLE_CATALOG))
    r = run("decide", "--topic", "gardening", "--sentiment", "negative")
    assert r.exit_code == 0 and "no fill" in r.output


def test_tokens_create_list_revoke(run):
    run("catalog", "import", str(EXAMPLE_CATALOG))
    token = run("tokens", "create", "zahid-host", "--label", "reports").output.split()[0]
    assert token.startswith("ads_")
    listed = run("tokens", "list", "zahid-host").output
    assert token[:10] in listed and token not in listed
    assert "revoked 1" in run("tokens", "revoke", "zahid-host", "--all").output


def test_bad_setting_fails_with_one_line(settings_overrides):
    r = CliRunner().invoke(main, ["campaigns", "list"], env={"DATABASE_URL": "mysql://nope"})
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == [
        "error: setting DATABASE_URL='mysql://nope': use sqlite:/// or postgresql+psycopg://"
    ]
