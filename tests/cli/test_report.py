"""`adserver report`: the same figures as the API, for operators."""

from __future__ import annotations

import csv
import io

from tests.builders import ZAHID


def test_report_prints_the_advertisers_rows_and_totals(cli, rollups):  # noqa: F811
    r = cli("report", ZAHID, "--from", "2026-11-01", "--to", "2026-11-30")
    assert r.exit_code == 0
    assert "2026-11-01" in r.output
    assert [line for line in r.output.splitlines() if line.startswith("total")][0].split()[1] == "160"


def test_report_csv_groups_by_campaign(cli, rollups):  # noqa: F811
    r = cli("report", ZAHID, "--from", "2026-11-01", "--to", "2026-11-30", "--group-by", "campaign", "--csv")
    rows = list(csv.DictReader(io.StringIO(r.output, newline="")))
    assert [row["campaign"] for row in rows] == ["zahid-ai-side-projects", "total"]
    assert rows[-1]["clicks"] == "4"


def test_report_groups_by_country_and_device(cli, rollups):  # noqa: F811
    r = cli("report", "zahid-host", "--from", "2026-11-01", "--to", "2026-11-30", "--group-by=country,device", "--csv")
    assert [line.split(",")[:3] for line in r.output.splitlines()] == [
        ["country", "device", "impressions"],
        ["DE", "mobile", "100"],
        ["unknown", "unknown", "60"],
        ["total", "", "160"],
    ]


def test_report_for_an_unknown_advertiser_is_one_clear_error(cli):
    r = cli("report", "nobody", "--from", "2026-11-01", "--to", "2026-11-30")
    assert r.exit_code == 1
    assert "no such advertiser 'nobody'" in r.output


def test_report_table_shows_traffic_not_billed_apart(cli, rollups):  # noqa: F811
    out = cli("report", ZAHID, "--from", "2026-11-01", "--to", "2026-11-30", "--wide").output.splitlines()
    assert out[0].split()[-6:] == [
        "prefetch",
        "unknown_origin",
        "unknown_origin",
        "unknown_origin",
        "rate_limited",
        "rate_limited",
    ]
    assert out[1].split()[-4:] == ["views", "clicks", "views", "clicks"]
    total = [line for line in out if line.startswith("total")][0].split()
    # bot i/v/c, prefetch i/v/c, unknown pages i/v/c, rate-limited v/c
    assert total[-11:] == ["5", "4", "1", "2", "0", "0", "0", "0", "0", "9", "6"]


def test_report_fits_100_columns_with_traffic_not_billed_in_a_second_table(cli, rollups):  # noqa: F811
    out = cli("report", ZAHID, "--from", "2026-11-01", "--to", "2026-11-30").output
    assert max(len(line) for line in out.splitlines()) <= 100
    billable, apart = out.split("not billed")
    totals = [line.split() for line in billable.splitlines() + apart.splitlines() if line.startswith("total")]
    assert totals[0][1] == "160"
    assert [n for t in totals[1:] for n in t[1:]] == ["5", "4", "1", "2", "0", "0", "0", "0", "0", "9", "6"]


def test_report_takes_the_advertisers_name_too(cli, rollups):  # noqa: F811
    by_id = cli("report", ZAHID, "--from", "2026-11-01", "--to", "2026-11-30").output
    assert cli("report", "zahid.host", "--from", "2026-11-01", "--to", "2026-11-30").output == by_id


def test_report_by_three_groups_still_fits_100_columns_one_table_per_cause_not_billed(cli, rollups):  # noqa: F811
    args = ("report", ZAHID, "--from", "2026-11-01", "--to", "2026-11-30", "--group-by", "day,country,device")
    out = cli(*args).output
    assert max(len(line) for line in out.splitlines()) <= 100
    apart = out.split("not billed")[1]
    totals = [line.split()[1:] for line in apart.splitlines() if line.startswith("total")]
    assert totals == [["5", "4", "1"], ["2", "0", "0"], ["0", "0", "0"], ["9", "6"]]  # bots, prefetch, unknown, 429
