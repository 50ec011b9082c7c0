"""`adserver decide`: the decision the API would make, and why, in-process on the test database and Redis."""

from __future__ import annotations

import json
import re

from adserver.catalog.files import import_catalog
from tests.builders import AI_ARGS, example_with, widest_line


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


def test_decide_prints_the_chosen_card(cli, imported):
    r = cli("decide", *AI_ARGS)
    assert r.exit_code == 0
    assert "chosen: zahid-ai-side-projects (zahid.host)" in r.stdout
    assert "reading about agents? ship yours in a single git push." in r.stdout
    assert "Run your AI side-project on zahid.host" in r.stdout
    assert "Get free account →  https://zahid.host/signup?utm_source=adserver" in r.stdout


def test_decide_explain_shows_score_parts_and_rejections(cli, imported):
    r = cli("decide", *AI_ARGS, "--explain", "--wide")
    assert r.exit_code == 0
    assert "topic=3 keywords=2" in r.stdout
    assert "targets topic 'artificial-intelligence'" in r.stdout
    winner = next(line for line in r.stdout.splitlines() if line.startswith("*"))
    assert "matched: publisher topic;" in winner  # how each candidate matched, first among its reasons
    rejected = rejected_reasons(r.stdout)
    assert rejected["encore-comedy-tour"] == "status is paused"
    assert rejected["voltdrive-winter-tyres"] == "outside its flight dates"


def test_decide_explain_wraps_its_reasons_within_100_columns(cli, imported):
    r = cli("decide", *AI_ARGS, "--explain")
    assert widest_line(r.stdout) <= 100
    assert "targets topic 'artificial-intelligence'" in " ".join(r.stdout.split())  # wrapped, not cut
    assert widest_line(cli("decide", *AI_ARGS, "--explain", "--wide").stdout) > 100


def test_decide_with_nothing_eligible_says_no_fill_and_exits_0(cli, imported):
    r = cli("decide", "--topic", "religion", "--sentiment", "negative")
    assert r.exit_code == 0
    assert "no fill" in r.stdout


def test_decide_respects_excluded_sentiment(cli, imported):
    r = cli("decide", "--topic", "personal-finance", "--sentiment", "negative", "--explain")
    assert r.stdout.startswith("chosen: tallybooks-smb-accounting")  # business covers personal finance
    assert rejected_reasons(r.stdout)["ledgerly-index-investing"] == "excludes negative sentiment"


def test_decide_json_has_the_card_and_the_explanation(cli, imported):
    r = cli("decide", *AI_ARGS, "--json", "--explain")
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


def test_decide_takes_the_readers_country_and_device_for_targeted_campaigns(cli, db):
    import_catalog(db, example_with(regions=["EU"], devices=["mobile"]))
    unknown = cli("decide", *AI_ARGS, "--explain", "--wide")
    assert rejected_reasons(unknown.stdout)["zahid-ai-side-projects"] == "device unknown not targeted"
    german_phone = cli("decide", *AI_ARGS, "--country", "de", "--device", "mobile")
    assert german_phone.stdout.startswith("chosen: zahid-ai-side-projects")
    british = cli("decide", *AI_ARGS, "--country", "GB", "--device", "mobile", "--explain", "--wide")
    assert rejected_reasons(british.stdout)["zahid-ai-side-projects"] == "country GB not targeted"


def test_decide_refuses_a_country_that_is_not_one(cli, imported):
    r = cli("decide", *AI_ARGS, "--country", "Germany")
    assert r.exit_code == 1 and "country: Not an ISO 3166-1" in r.stderr
