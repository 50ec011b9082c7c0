"""`GET /v1/reports`: tokens, isolation, formats, errors."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from adserver.api.auth import AUTH_FAILURES_PER_MINUTE
from adserver.catalog import api_tokens
from adserver.catalog.files import import_catalog, read_file
from adserver.events.reporting import GROUPS
from tests.api.test_sites import NORTH, SOUTH, sites_catalog
from tests.builders import (
    BROWSER,
    GOOGLEBOT,
    LEDGERLY,
    LEDGERLY_CAMPAIGN,
    ZAHID,
    ZAHID_CAMPAIGN,
    path,
    rollup_row,
    serve,
)
from tests.conftest import EXAMPLE_CATALOG

NOV = {"from": "2026-11-01", "to": "2026-11-30"}


def get(client, token, **params):
    return client.get("/v1/reports", query_string=NOV | params, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def zahid_token(db, rollups):  # noqa: F811
    return api_tokens.create(db, ZAHID)


def test_advertiser_sees_only_its_own_campaigns(client, zahid_token):
    body = get(client, zahid_token, group_by="campaign").get_json()
    assert [r["campaign"] for r in body["rows"]] == [ZAHID_CAMPAIGN]
    assert body["totals"]["impressions"] == 160


def test_rows_group_by_the_readers_country_and_device_of_ones_own_campaigns_only(client, zahid_token):
    body = get(client, zahid_token, group_by="country,device").get_json()
    assert [(r["country"], r["device"], r["impressions"]) for r in body["rows"]] == [
        ("DE", "mobile", 100),
        ("unknown", "unknown", 60),  # ledgerly's rows (unknown too) are not zahid's
    ]
    assert body["totals"]["impressions"] == 160


def test_json_names_the_range_and_grouping(client, zahid_token):
    body = get(client, zahid_token, group_by="day,topic").get_json()
    assert (body["from"], body["to"], body["group_by"]) == ("2026-11-01", "2026-11-30", ["day", "topic"])


def test_operator_sees_every_advertiser(client, db, rollups):  # noqa: F811
    body = get(client, api_tokens.create(db, None), group_by="campaign").get_json()
    assert {r["campaign"] for r in body["rows"]} == {ZAHID_CAMPAIGN, LEDGERLY_CAMPAIGN}


def test_another_advertisers_campaign_gives_the_same_404_as_a_missing_one(client, zahid_token):
    theirs = get(client, zahid_token, campaign=LEDGERLY_CAMPAIGN)
    missing = get(client, zahid_token, campaign="nope")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_json()["error"]["code"] == missing.get_json()["error"]["code"] == "not_found"


def test_missing_token_is_401_in_the_error_shape(client, rollups):  # noqa: F811
    r = client.get("/v1/reports", query_string=NOV)
    assert r.status_code == 401
    assert r.get_json()["error"]["code"] == "unauthorized"


def test_revoked_token_is_refused(client, db, zahid_token):
    api_tokens.revoke(db, ZAHID)
    assert get(client, zahid_token).status_code == 401


def test_repeated_bad_tokens_are_rate_limited(client, zahid_token):
    for _ in range(AUTH_FAILURES_PER_MINUTE):
        assert get(client, "ads_wrong").status_code == 401
    assert get(client, "ads_wrong").status_code == 429
    assert get(client, "ads_" + "x" * 43).status_code == 429  # another guess: not even checked


def test_a_valid_token_still_works_from_an_address_that_sent_many_bad_ones(client, zahid_token):
    for _ in range(AUTH_FAILURES_PER_MINUTE + 5):
        get(client, "ads_wrong")
    assert get(client, zahid_token).status_code == 200


def test_guessing_the_secret_behind_a_known_prefix_is_rate_limited_too(client, db, zahid_token):
    ledgerly_token = api_tokens.create(db, LEDGERLY)
    guess = zahid_token[: api_tokens.PREFIX_LENGTH] + "x" * 40
    for _ in range(AUTH_FAILURES_PER_MINUTE):
        assert get(client, guess).status_code == 401
    assert get(client, guess).status_code == 429
    assert get(client, ledgerly_token).status_code == 200  # others from this address are not locked out


def test_a_blocked_address_gets_the_same_answer_for_a_live_prefix_and_an_unknown_one(client, zahid_token):
    for _ in range(AUTH_FAILURES_PER_MINUTE):
        get(client, "ads_wrong")
    live_prefix = zahid_token[: api_tokens.PREFIX_LENGTH] + "x" * 40
    unknown_prefix = "ads_" + "y" * 48
    answers = [get(client, t) for t in (live_prefix, unknown_prefix)]
    assert [(r.status_code, r.get_json()) for r in answers] == [(429, answers[0].get_json())] * 2


def test_guesses_from_a_blocked_address_ask_nothing_of_sql(client, db, zahid_token):
    from sqlalchemy import event

    for _ in range(AUTH_FAILURES_PER_MINUTE + 1):
        get(client, "ads_wrong")  # the last one reads the live tokens once
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        codes = {get(client, "ads_" + f"{i:048d}").status_code for i in range(20)}
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert codes == {429}
    assert statements == []


def test_a_range_the_document_cannot_refuse_is_a_422_naming_the_field(client, zahid_token):
    for dates in ({"from": "2025-01-01", "to": "2026-11-30"}, {"from": "2026-11-30", "to": "2026-11-01"}):
        r = get(client, zahid_token, **dates)
        assert r.status_code == 422
        assert r.get_json()["error"]["fields"].keys() == {"to"}
    twice = get(client, zahid_token, **{"from": "2026-11-01", "to": "2026-11-30", "group_by": "day,day"})
    assert twice.status_code == 422 and "group_by" in twice.get_json()["error"]["fields"]
    unknown = get(client, zahid_token, **{"from": "2026-11-01", "to": "2026-11-30", "group_by": "day,colour"})
    assert unknown.status_code == 400 and "group_by" in unknown.get_json()["error"]["fields"]


def test_bad_date_is_a_400(client, zahid_token):
    r = get(client, zahid_token, **{"from": "yesterday"})
    assert r.status_code == 400
    assert "from" in r.get_json()["error"]["fields"]


def test_csv_parses_back_to_the_json_numbers(client, zahid_token):
    body = get(client, zahid_token, group_by="day,topic").get_json()
    r = get(client, zahid_token, group_by="day,topic", format="csv")
    assert r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True), newline="")))
    *data, total = rows
    assert len(data) == len(body["rows"])
    for parsed, row in zip(data, body["rows"], strict=True):
        assert {k: type(row[k])(v) for k, v in parsed.items()} == row
    assert int(total["impressions"]) == body["totals"]["impressions"]
    assert float(total["spend"]) == body["totals"]["spend"]


def test_reports_are_in_the_openapi_document(client):
    spec = client.get("/openapi.json").get_json()
    params = {p["name"] for p in spec["paths"]["/v1/reports"]["get"]["parameters"]}
    assert {"from", "to", "group_by", "format"} <= params


def test_bot_prefetch_and_rate_limited_traffic_reach_the_report_apart(client, db, services, persist):  # noqa: F811
    import_catalog(db, read_file(EXAMPLE_CATALOG))
    services.catalog.refresh(force=True)
    bot = serve(client, GOOGLEBOT)
    assert client.post(path(bot["tracking"]["view_url"]), headers=GOOGLEBOT).status_code == 204
    serve(client, {**BROWSER, "Sec-Purpose": "prefetch"})
    person = serve(client)
    services.events.rate_limit = 0
    assert client.get(path(person["tracking"]["click_url"]), headers=BROWSER).status_code == 302  # still sent on
    persist()
    today = datetime.now(UTC).date().isoformat()
    token = api_tokens.create(db, ZAHID)
    body = get(client, token, **{"from": today, "to": today, "group_by": "campaign"}).get_json()
    (row,) = body["rows"]
    assert {k: v for k, v in row.items() if v and k != "campaign"} == {
        "impressions": 1,  # billed: only the person's impression
        "bot_impressions": 1,
        "bot_views": 1,
        "prefetch_impressions": 1,
        "rate_limited_clicks": 1,
    }
    csv_text = get(client, token, **{"from": today, "to": today, "group_by": "campaign", "format": "csv"})
    (parsed, _total) = csv.DictReader(io.StringIO(csv_text.get_data(as_text=True), newline=""))
    assert (parsed["bot_views"], parsed["prefetch_impressions"], parsed["rate_limited_clicks"]) == ("1", "1", "1")


def test_the_openapi_document_describes_each_kind_of_traffic_not_billed(client):
    row = client.get("/openapi.json").get_json()["components"]["schemas"]["ReportRow"]["properties"]
    for name in ("bot_impressions", "bot_views", "bot_clicks", "prefetch_impressions", "rate_limited_views"):
        assert "not billed" in row[name]["description"].lower()


def test_report_names_the_advertiser_and_gives_data_as_of_in_utc(client, db, services, persist):  # noqa: F811
    import_catalog(db, read_file(EXAMPLE_CATALOG))
    services.catalog.refresh(force=True)
    serve(client)
    persist()
    body = get(client, api_tokens.create(db, ZAHID)).get_json()
    assert (body["advertiser"], body["advertiser_name"]) == (ZAHID, "zahid.host")
    as_of = datetime.fromisoformat(body["data_as_of"])
    assert as_of.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - as_of).total_seconds()) < 60


def test_operator_report_names_no_advertiser(client, db, rollups):  # noqa: F811
    body = get(client, api_tokens.create(db, None)).get_json()
    assert (body["advertiser"], body["advertiser_name"]) == (None, None)


def test_operator_token_lists_every_advertiser_by_name(client, db, rollups):  # noqa: F811
    r = client.get("/v1/advertisers", headers={"Authorization": f"Bearer {api_tokens.create(db, None)}"})
    listed = r.get_json()["advertisers"]
    assert r.get_json()["operator"] is True
    assert len(listed) == 14  # the example catalog's
    assert {"id": ZAHID, "name": "zahid.host"} in listed and {"id": LEDGERLY, "name": "Ledgerly"} in listed
    assert [a["name"].casefold() for a in listed] == sorted(a["name"].casefold() for a in listed)


def test_advertiser_token_lists_only_its_own_advertiser(client, zahid_token):
    r = client.get("/v1/advertisers", headers={"Authorization": f"Bearer {zahid_token}"})
    assert r.get_json() == {"advertisers": [{"id": ZAHID, "name": "zahid.host"}], "operator": False}


def test_advertisers_need_a_valid_token(client, rollups):  # noqa: F811
    r = client.get("/v1/advertisers", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert r.get_json()["error"]["code"] == "unauthorized"


def test_spend_comes_with_the_advertisers_currency(client, db, zahid_token):
    data = read_file(EXAMPLE_CATALOG)
    data["advertisers"][1]["currency"] = "USD"  # ledgerly pays in dollars
    import_catalog(db, data)
    assert get(client, zahid_token).get_json()["currency"] == "EUR"
    operator = api_tokens.create(db, None)
    assert get(client, operator, advertiser=LEDGERLY).get_json()["currency"] == "USD"
    assert get(client, operator).get_json()["currency"] is None  # euros and dollars: no one currency


# --- publishers: one site's figures and earnings --------------------------------------------------------------

SOLAR_CAMPAIGN = "solarcoop-rooftop"  # served on south only


@pytest.fixture
def two_sites(db, load_catalog):
    """North (60% share) carries zahid.host (EUR) and ledgerly (USD); south (20%) carries zahid.host and solarcoop,
    with figures far larger than north's, so that any of them leaking into north's report shows."""
    data = sites_catalog(NORTH, SOUTH | {"revenue_share": 0.2})
    data["advertisers"][1]["currency"] = "USD"  # ledgerly pays in dollars
    load_catalog(data)
    with db.session() as s:
        s.add_all(
            [
                rollup_row(date(2026, 11, 1), ZAHID_CAMPAIGN, 100, 60, 3, "1.5", country="DE", device="mobile",
                           site="regional-north", bot_impressions=4),
                rollup_row(date(2026, 11, 2), LEDGERLY_CAMPAIGN, 50, 20, 2, "2", topic="finance",
                           site="regional-north"),
                rollup_row(date(2026, 11, 1), ZAHID_CAMPAIGN, 9000, 900, 90, "90", country="FR", device="desktop",
                           placement="sidebar", site="south", bot_impressions=900),
                rollup_row(date(2026, 11, 3), SOLAR_CAMPAIGN, 7000, 700, 70, "70", topic="energy", site="south"),
                rollup_row(date(2026, 11, 3), SOLAR_CAMPAIGN, 5, 1, 0, "0.05", topic="energy", site="unknown"),
            ]
        )  # fmt: skip


@pytest.fixture
def north_token(db, two_sites):
    return api_tokens.create(db, None, site_id="regional-north")


@pytest.mark.parametrize("group_by", [*GROUPS, "", "day,advertiser", "country,device"])
def test_a_publisher_sees_its_sites_figures_only_by_any_grouping(client, north_token, group_by):
    body = get(client, north_token, group_by=group_by).get_json()
    assert (body["viewer"], body["site"], body["site_name"]) == ("publisher", "regional-north", "Regional North")
    assert (body["totals"]["impressions"], body["totals"]["clicks"], body["totals"]["bot_impressions"]) == (150, 5, 4)
    assert sum(r["impressions"] for r in body["rows"]) == 150
    assert {r.get("site", "regional-north") for r in body["rows"]} <= {"regional-north"}


def test_a_publisher_sees_who_bought_its_pages_and_what_it_earned_in_each_currency(client, north_token):
    body = get(client, north_token, group_by="advertiser").get_json()
    assert [(r["advertiser"], r["impressions"], r["earnings"]) for r in body["rows"]] == [
        (LEDGERLY, 50, {"EUR": 0.0, "USD": 1.2}),  # 2 × 0.6
        (ZAHID, 100, {"EUR": 0.9, "USD": 0.0}),  # 1.5 × 0.6
    ]
    assert body["totals"]["earnings"] == {"EUR": 0.9, "USD": 1.2}  # never one sum of euros and dollars
    assert body["currency"] is None
    assert "spend" not in body["totals"] and all("spend" not in r for r in body["rows"])


def test_a_publishers_csv_has_one_earnings_column_per_currency_and_no_spend(client, north_token):
    r = get(client, north_token, group_by="day", format="csv")
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert "spend" not in rows[0]
    assert [(x["day"], x["earnings_EUR"], x["earnings_USD"]) for x in rows] == [
        ("2026-11-01", "0.9", "0.0"),
        ("2026-11-02", "0.0", "1.2"),
        ("total", "0.9", "1.2"),
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"site": "south"},
        {"site": "unknown"},
        {"campaign": SOLAR_CAMPAIGN},  # exists, never on north
        {"campaign": "nope"},
        {"advertiser": "solarcoop"},  # exists, never on north
        {"advertiser": "nope"},
    ],
)
def test_a_publisher_naming_what_is_not_on_its_site_gets_the_404_of_a_missing_one(client, north_token, params):
    r = get(client, north_token, **params)
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


def test_a_publisher_may_narrow_to_an_advertiser_or_campaign_on_its_site(client, north_token):
    zahid = get(client, north_token, advertiser=ZAHID).get_json()  # its 9,000 impressions on south are not north's
    assert (zahid["advertiser_name"], zahid["totals"]["impressions"], zahid["totals"]["earnings"]) == (
        "zahid.host",
        100,
        {"EUR": 0.9},
    )
    ledgerly = get(client, north_token, campaign=LEDGERLY_CAMPAIGN, site="regional-north").get_json()
    assert ledgerly["totals"]["impressions"] == 50


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/v1/campaigns"),
        ("POST", "/v1/campaigns"),
        ("GET", f"/v1/campaigns/{ZAHID_CAMPAIGN}"),
        ("PATCH", f"/v1/campaigns/{ZAHID_CAMPAIGN}"),
        ("POST", f"/v1/campaigns/{ZAHID_CAMPAIGN}/pause"),
        ("GET", "/v1/limits"),
        ("GET", "/v1/advertisers"),
    ],
)
def test_a_publisher_token_is_refused_beyond_the_reports(client, north_token, method, url):
    r = client.open(url, method=method, json={}, headers={"Authorization": f"Bearer {north_token}"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"


def test_the_operator_sees_every_site_with_its_earnings_and_may_filter_one(client, db, two_sites):
    operator = api_tokens.create(db, None)
    body = get(client, operator, group_by="site").get_json()
    assert [(r["site"], r["impressions"], r["spend"], r["earnings"]) for r in body["rows"]] == [
        ("regional-north", 150, 3.5, {"EUR": 0.9, "USD": 1.2}),
        ("south", 16000, 160.0, {"EUR": 32.0, "USD": 0.0}),  # (90 + 70) × 0.2: zahid and solarcoop pay euros
        ("unknown", 5, 0.05, {"EUR": 0.0, "USD": 0.0}),  # pages of no site earn no publisher
    ]
    one = get(client, operator, site="south").get_json()
    assert (one["viewer"], one["site_name"], one["totals"]["impressions"]) == ("operator", "South", 16000)
    assert get(client, operator, site="unknown").get_json()["totals"]["impressions"] == 5
    assert get(client, operator, site="nowhere").status_code == 404


def test_an_advertiser_reads_its_own_figures_by_site_without_the_sites_earnings(client, db, two_sites):
    body = get(client, api_tokens.create(db, ZAHID), group_by="site").get_json()
    assert [(r["site"], r["impressions"], r["spend"]) for r in body["rows"]] == [
        ("regional-north", 100, 1.5),
        ("south", 9000, 90.0),
    ]
    assert "earnings" not in body["totals"] and body["viewer"] == "advertiser"
    assert get(client, api_tokens.create(db, ZAHID), site="south").get_json()["totals"]["impressions"] == 9000
