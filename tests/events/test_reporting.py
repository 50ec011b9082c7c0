"""Report figures from daily rollups: grouping, totals, isolation, ranges."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from adserver.errors import InvalidContext, NotFound
from adserver.events.reporting import METRICS, Report, ReportQuery, parse_group_by, run_report, to_csv
from adserver.infra import storage
from tests.builders import LEDGERLY, LEDGERLY_CAMPAIGN, ZAHID, ZAHID_CAMPAIGN
from tests.builders import rollup_row as rollup


def test_rows_per_day_sum_the_advertisers_rollups(db, rollups):
    r = run_report(db, ReportQuery(date(2026, 11, 1), date(2026, 11, 30), ("day",), ZAHID))
    assert [(row["day"], row["impressions"], row["viewable_impressions"], row["clicks"]) for row in r.rows] == [
        ("2026-11-01", 100, 60, 3),
        ("2026-11-02", 60, 25, 1),
    ]


def test_totals_carry_rates_spend_and_nonbillable_traffic_apart(db, rollups):
    t = run_report(db, ReportQuery(date(2026, 11, 1), date(2026, 11, 30), ("day",), ZAHID)).totals
    assert t == {
        "impressions": 160,
        "viewable_impressions": 85,
        "view_rate": round(85 / 160, 4),
        "clicks": 4,
        "ctr": round(4 / 160, 4),
        "spend": 2.1,
        "bot_impressions": 5,
        "bot_views": 4,
        "bot_clicks": 1,
        "prefetch_impressions": 2,
        "prefetch_views": 0,
        "prefetch_clicks": 0,
        "unknown_origin_impressions": 0,
        "unknown_origin_views": 0,
        "unknown_origin_clicks": 0,
        "rate_limited_views": 9,
        "rate_limited_clicks": 6,
    }


@pytest.fixture
def bots_only_day(db, rollups):
    with db.session() as s:
        s.add(rollup(date(2026, 11, 3), ZAHID_CAMPAIGN, 0, 0, 0, bot_views=4, rate_limited_clicks=6))


def test_a_day_with_only_traffic_not_billed_is_a_row_of_its_own(db, bots_only_day):
    r = run_report(db, ReportQuery(date(2026, 11, 1), date(2026, 11, 30), ("day",), ZAHID))
    row = r.rows[-1]
    assert (row["day"], row["impressions"], row["clicks"], row["spend"]) == ("2026-11-03", 0, 0, 0.0)
    assert (row["bot_views"], row["rate_limited_clicks"]) == (4, 6)


def test_without_grouping_traffic_not_billed_still_makes_the_row(db, bots_only_day):
    r = run_report(db, ReportQuery(date(2026, 11, 3), date(2026, 11, 3), (), ZAHID))
    assert [(row["impressions"], row["rate_limited_clicks"]) for row in r.rows] == [(0, 6)]


def test_groupings_combine(db, rollups):
    r = run_report(db, ReportQuery(date(2026, 11, 1), date(2026, 11, 30), ("day", "creative"), ZAHID))
    assert [(row["day"], row["creative"], row["impressions"]) for row in r.rows] == [
        ("2026-11-01", "c1", 100),
        ("2026-11-02", "c1", 50),
        ("2026-11-02", "c2", 10),
    ]


def test_operator_scope_sees_every_advertiser(db, rollups):
    r = run_report(db, ReportQuery(date(2026, 11, 1), date(2026, 11, 1), ("campaign",), None))
    assert {row["campaign"] for row in r.rows} == {ZAHID_CAMPAIGN, LEDGERLY_CAMPAIGN}


def test_days_outside_the_range_are_left_out(db, rollups):
    r = run_report(db, ReportQuery(date(2026, 11, 2), date(2026, 11, 2), ("day",), ZAHID))
    assert r.totals["impressions"] == 60


def test_another_advertisers_campaign_is_not_found_like_a_missing_one(db, rollups):
    with pytest.raises(NotFound) as theirs:
        run_report(db, ReportQuery(date(2026, 11, 1), date(2026, 11, 2), ("day",), ZAHID, LEDGERLY_CAMPAIGN))
    with pytest.raises(NotFound) as missing:
        run_report(db, ReportQuery(date(2026, 11, 1), date(2026, 11, 2), ("day",), ZAHID, "no-such-campaign"))
    assert str(theirs.value).replace(LEDGERLY_CAMPAIGN, "X") == str(missing.value).replace("no-such-campaign", "X")


def test_a_range_over_366_days_is_refused():
    with pytest.raises(InvalidContext) as e:
        ReportQuery(date(2025, 1, 1), date(2026, 1, 2))
    assert "to" in e.value.fields


def test_unknown_grouping_is_refused():
    with pytest.raises(InvalidContext) as e:
        ReportQuery(date(2026, 1, 1), date(2026, 1, 2), parse_group_by("day,colour"))
    assert "group_by" in e.value.fields


def test_csv_has_a_header_and_a_total_row_with_crlf(db, rollups):
    text = to_csv(run_report(db, ReportQuery(date(2026, 11, 1), date(2026, 11, 30), ("day",), ZAHID)))
    lines = text.split("\r\n")
    assert lines[0] == (
        "day,impressions,viewable_impressions,view_rate,clicks,ctr,spend,bot_impressions,bot_views,bot_clicks,"
        "prefetch_impressions,prefetch_views,prefetch_clicks,unknown_origin_impressions,unknown_origin_views,"
        "unknown_origin_clicks,rate_limited_views,rate_limited_clicks"
    )
    assert lines[-2].startswith("total,160,85")


@pytest.mark.parametrize("text", ["+1+1", '=HYPERLINK("https://evil.example")', "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_a_csv_cell_a_spreadsheet_would_run_as_a_formula_is_quoted_as_text(text):
    query = ReportQuery(date(2026, 11, 1), date(2026, 11, 30), ("topic",), ZAHID)
    metrics = {m: 0 for m in METRICS}
    rows = [{"topic": text, **metrics}, {"topic": "sport", **metrics}]
    report = Report(query, rows=rows, totals=metrics, data_as_of=None)
    (_header, first, second, _total) = csv.reader(io.StringIO(to_csv(report), newline=""))
    assert first[0] == "'" + text and second[0] == "sport"
    assert first[1:] == ["0"] * len(METRICS)


def _event(decision_id: str, campaign: str, advertiser: str, at: datetime) -> storage.Event:
    return storage.Event(
        decision_id=decision_id,
        event_type="impression",
        campaign_id=campaign,
        creative_id="c1",
        advertiser_id=advertiser,
        placement="article-footer",
        billable=True,
        cost=0,
        occurred_at=at,
        decided_on=at.date(),
    )


def test_data_as_of_is_the_newest_event_of_the_advertisers_own_campaigns(db, rollups):
    ours, theirs = datetime(2026, 11, 2, 9, tzinfo=UTC), datetime(2026, 11, 2, 17, tzinfo=UTC)
    with db.session() as s:
        s.add_all([_event("d1", ZAHID_CAMPAIGN, ZAHID, ours), _event("d2", LEDGERLY_CAMPAIGN, LEDGERLY, theirs)])
    nov = (date(2026, 11, 1), date(2026, 11, 30))

    def as_of(advertiser):
        return run_report(db, ReportQuery(*nov, ("day",), advertiser)).data_as_of.replace(tzinfo=UTC)

    assert as_of(ZAHID) == ours  # Ledgerly's later traffic neither moves nor shows in it
    assert as_of(None) == theirs  # the operator's view of everything
