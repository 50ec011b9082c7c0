"""`adserver campaigns ...` and `adserver advertisers list`, in-process on the test database and Redis."""

from __future__ import annotations

from tests.builders import AI_ARGS, widest_line


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
    assert "chosen: zahid" not in cli("decide", *AI_ARGS).stdout


def test_campaigns_list_on_an_empty_catalog_says_so(cli):
    r = cli("campaigns", "list")
    assert r.exit_code == 0
    assert "no campaigns" in r.stdout


def test_paused_campaign_stops_winning(cli, imported):
    assert cli("campaigns", "pause", "zahid-ai-side-projects").stdout == "campaign zahid-ai-side-projects is paused\n"
    r = cli("decide", *AI_ARGS)
    assert "zahid" not in r.stdout


def test_resumed_campaign_wins_again(cli, imported):
    cli("campaigns", "pause", "zahid-ai-side-projects")
    cli("campaigns", "resume", "zahid-ai-side-projects")
    assert "chosen: zahid-ai-side-projects" in cli("decide", *AI_ARGS).stdout


def test_pausing_bumps_the_catalog_version(cli, db, imported):
    cli("campaigns", "pause", "zahid-ai-side-projects")
    assert db.catalog_version() == imported["version"] + 1


def test_pausing_an_unknown_campaign_exits_1(cli):
    r = cli("campaigns", "pause", "nope")
    assert r.exit_code == 1
    assert "no campaign 'nope'" in r.stderr


def test_campaigns_list_filters_by_status(cli, imported):
    r = cli("campaigns", "list", "--status", "paused")
    assert "encore-comedy-tour" in r.stdout
    assert "zahid-ai-side-projects" not in r.stdout
