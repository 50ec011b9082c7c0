"""Each decision knows its site and its page: only a page on its site's domains bills (real Redis and SQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from adserver import create_app
from adserver.events.tracking import Tracker
from adserver.infra import storage
from tests.builders import BROWSER, ZAHID_CAMPAIGN, example_with, path, rollup

NORTH = {
    "id": "regional-north",
    "name": "Regional North",
    "domains": ["north.example", "*.north.example"],
    "revenue_share": 0.6,
}
SOUTH = {"id": "south", "name": "South", "domains": ["south.example"]}
AI = {"placement": "article-footer", "article": {"topic": "artificial-intelligence", "keywords": ["agents"]}}


def sites_catalog(*sites, **targeting) -> dict:
    """The example catalog with `sites`, zahid.host's AI campaign priced per impression (so an impression spends)."""
    data = example_with(**targeting)
    data["sites"] = [dict(x) for x in sites]
    for adv in data["advertisers"]:
        for c in adv["campaigns"]:
            if c["id"] == ZAHID_CAMPAIGN:
                c["pricing"] = {"model": "cpm", "price": 20}
    return data


def ask(client, origin: str | None = None, site: str | None = None, body=AI, **headers) -> dict | None:
    hdrs = dict(BROWSER, **headers)
    if origin is not None:
        hdrs["Origin"] = origin
    r = client.post("/v1/decision", json=dict(body, **({"site": site} if site is not None else {})), headers=hdrs)
    assert r.status_code in (200, 204), r.get_data(as_text=True)
    return r.get_json() if r.status_code == 200 else None


def view_and_click(client, d: dict) -> None:
    assert client.post(path(d["tracking"]["view_url"]), headers=BROWSER).status_code == 204
    assert client.get(path(d["tracking"]["click_url"]), headers=BROWSER).status_code == 302


def stored(db) -> list[tuple]:
    e = storage.Event
    with db.sessionmaker() as s:
        return sorted(s.execute(select(e.event_type, e.billable, e.reason, e.cost, e.site)).all())


def booked(services) -> int:
    total, _ = services.budget.spend([services.catalog.get().by_id[ZAHID_CAMPAIGN]])[ZAHID_CAMPAIGN]
    return total


@pytest.fixture
def north(load_catalog):
    load_catalog(sites_catalog(NORTH, SOUTH))


@pytest.fixture
def app_with_settings(settings_overrides, north):
    """A client of an app built with extra settings, on the same (reset) Redis and SQL as `app`."""
    made = []

    def build(**extra):
        made.append(create_app({**settings_overrides, **extra}))
        made[-1].extensions["adserver"].catalog.refresh(force=True)
        return made[-1].test_client()

    yield build
    for a in made:
        a.extensions["adserver"].close()


@pytest.mark.parametrize(
    ("origin", "site"),
    [
        ("https://evil.example", "regional-north"),  # a page that is none of its site's
        ("https://north.example.evil", "regional-north"),
        ("https://south.example", "regional-north"),  # another site's page claiming this one
        ("https://north.example", "nowhere"),  # a site the catalog does not have
        ("https://evil.example", None),  # no site named, and no site lists the host
    ],
)
def test_a_page_on_an_unlisted_domain_gets_a_card_whose_three_events_are_never_billed(
    client, db, services, persist, north, origin, site
):
    d = ask(client, origin, site)
    assert d is not None and d["campaign"]["id"] == ZAHID_CAMPAIGN
    view_and_click(client, d)
    assert persist() == 3
    events = stored(db)
    assert [(t, billable, reason, float(cost)) for t, billable, reason, cost, _ in events] == [
        ("click", False, "unknown-origin", 0.0),
        ("impression", False, "unknown-origin", 0.0),
        ("view", False, "unknown-origin", 0.0),
    ]
    assert {x[-1] for x in events} == {"regional-north" if site == "regional-north" else "unknown"}
    got = rollup(db)
    assert (got["impressions"], got["views"], got["clicks"], got["spend"]) == (0, 0, 0, 0)
    assert (got["nb_impressions"], got["nb_views"], got["nb_clicks"]) == (1, 1, 1)
    assert booked(services) == 0  # nothing against the budget either


@pytest.mark.parametrize(
    ("headers", "site"),
    [
        ({"Origin": "https://north.example"}, "regional-north"),
        ({"Origin": "https://www.north.example"}, "regional-north"),  # under *.north.example
        ({"Origin": "https://a.b.north.example:8443"}, None),  # found by its host; the port is no part of it
        ({"Referer": "https://north.example/politics/story?id=1"}, "regional-north"),  # no Origin: the Referer
    ],
)
def test_a_listed_domain_and_a_subdomain_bill_as_today(client, db, services, persist, north, headers, site):
    d = ask(client, site=site, **headers)
    view_and_click(client, d)
    assert persist() == 3
    assert {(billable, reason, s) for _, billable, reason, _, s in stored(db)} == {(True, "", "regional-north")}
    got = rollup(db)
    assert (got["impressions"], got["views"], got["clicks"]) == (1, 1, 1)
    assert got["spend"] == pytest.approx(0.02) and booked(services) == 20_000  # one impression at CPM 20


def test_a_server_without_origin_sends_the_article_url(client, db, persist, north):
    body = {"placement": "article-footer", "article": dict(AI["article"], url="https://north.example/a")}
    ask(client, site="regional-north", body=body)
    ask(client, site="regional-north")  # nothing names the page: unknown
    persist()
    assert [(b, r) for _, b, r, _, _ in stored(db)] == [(False, "unknown-origin"), (True, "")]


def test_get_and_the_multi_slot_endpoint_take_the_site_too(client, db, persist, north):
    q = "topic=artificial-intelligence&keywords=agents"
    r = client.get(f"/v1/decision?{q}&site=south", headers=dict(BROWSER, Origin="https://south.example"))
    assert r.status_code == 200
    r = client.get(
        f"/v1/decisions?{q}&placements=article-footer&site=south", headers=dict(BROWSER, Origin="https://x.example")
    )
    assert r.status_code == 200 and r.get_json()["decisions"][0] is not None
    persist()
    assert [(b, s) for _, b, _, _, s in stored(db)] == [(False, "south"), (True, "south")]


def test_a_catalog_without_sites_bills_every_page_as_the_default_site(client, db, persist, load_catalog):
    load_catalog(sites_catalog())
    d = ask(client, "https://anywhere.example", "whatever")
    view_and_click(client, d)
    persist()
    assert {(b, r, s) for _, b, r, _, s in stored(db)} == {(True, "", "default")}


def test_refuse_answers_204_and_explain_says_why(app_with_settings, db):
    client = app_with_settings(unknown_pages="refuse")
    r = client.post(
        "/v1/decision", json=dict(AI, site="regional-north"), headers=dict(BROWSER, Origin="https://evil.example")
    )
    assert r.status_code == 204
    r = client.post(
        "/v1/decision?explain=1",
        json=dict(AI, site="regional-north"),
        headers=dict(BROWSER, Origin="https://evil.example"),
    )
    assert r.status_code == 200 and r.get_json()["card"] is None
    page = r.get_json()["explain"]["page"]
    assert page["billed"] is False and page["host"] == "evil.example"
    assert (
        page["reason"]
        == "UNKNOWN_PAGES=refuse: the page's host evil.example is not one of site regional-north's domains"
    )
    ok = client.post(
        "/v1/decision", json=dict(AI, site="regional-north"), headers=dict(BROWSER, Origin="https://north.example")
    )
    assert ok.status_code == 200


def test_a_reader_cannot_make_an_unknown_pages_click_billable(client, db, services, persist, north):
    d = ask(client, "https://evil.example", "regional-north")
    token = path(d["tracking"]["click_url"]).rsplit("/", 1)[1]
    assert ",regional-north,u,p." in token  # what the signature covers
    flipped = token.replace(",u,p.", ",b,p.")
    assert client.get(f"/t/click/{flipped}", headers=BROWSER).status_code == 403
    persist()
    assert [b for _, b, _, _, _ in stored(db)] == [False]


def test_a_link_signed_before_sites_still_counts_as_the_default_site(client, db, services, persist, example_catalog):
    tracker = Tracker(services.settings.secret_key, 3600, 86400)
    ids = ("d" * 32, ZAHID_CAMPAIGN, "zahid-agents-card", "article-footer", "artificial-intelligence", "default")
    old = tracker._signers["click"].sign(",".join(ids) + ",p").decode()  # the format of a link before sites
    assert client.get(f"/t/click/{old}", headers=BROWSER).status_code == 302
    persist()
    assert [(t, b, s) for t, b, _, _, s in stored(db)] == [("click", True, "default")]


def test_a_blocked_advertiser_never_serves_on_that_site_and_explain_names_the_rule(client, load_catalog):
    blocked = dict(NORTH, blocked_advertisers=["zahid-host"])
    load_catalog(sites_catalog(blocked, SOUTH))
    for _ in range(5):
        d = ask(client, "https://north.example", "regional-north")
        assert d is None or d["campaign"]["advertiser_id"] != "zahid-host"
    assert ask(client, "https://south.example", "south")["campaign"]["id"] == ZAHID_CAMPAIGN
    r = client.post(
        "/v1/decision?explain=1",
        json=dict(AI, site="regional-north"),
        headers=dict(BROWSER, Origin="https://north.example"),
    )
    reasons = {x["campaign"]: x["reason"] for x in r.get_json()["explain"]["rejected"]}
    assert reasons[ZAHID_CAMPAIGN] == "site regional-north blocks advertiser zahid-host"


def test_targeting_sites_restricts_delivery_and_exclude_sites_avoids_one(client, load_catalog):
    load_catalog(sites_catalog(NORTH, SOUTH, sites=["south"]))
    assert ask(client, "https://south.example", "south")["campaign"]["id"] == ZAHID_CAMPAIGN
    d = ask(client, "https://north.example", "regional-north")
    assert d is None or d["campaign"]["id"] != ZAHID_CAMPAIGN
    load_catalog(sites_catalog(NORTH, SOUTH, exclude_sites=["south"]))
    d = ask(client, "https://south.example", "south")
    assert d is None or d["campaign"]["id"] != ZAHID_CAMPAIGN
    assert ask(client, "https://north.example", "regional-north")["campaign"]["id"] == ZAHID_CAMPAIGN


def test_a_sites_placements_and_categories_are_hard_rules(client, load_catalog):
    load_catalog(sites_catalog(dict(NORTH, placements=["sidebar"]), dict(SOUTH, exclude_categories=["crime"])))
    assert ask(client, "https://north.example", "regional-north") is None  # the footer is no placement of it
    crime = {"placement": "article-footer", "article": dict(AI["article"], categories=["crime"])}
    d = ask(client, "https://south.example", "south", body=crime)
    assert d is None
    assert ask(client, "https://south.example", "south")["campaign"]["id"] == ZAHID_CAMPAIGN


def test_bad_site_input_is_a_400_naming_the_field(client, north):
    r = client.post("/v1/decision", json=dict(AI, site="x" * 65), headers=BROWSER)
    assert r.status_code == 400 and "site" in r.get_json()["error"]["fields"]
    r = client.post("/v1/decision", json=dict(AI, site=5), headers=BROWSER)
    assert r.status_code == 400 and "site" in r.get_json()["error"]["fields"]
    r = client.post("/v1/decision", json=AI, headers=dict(BROWSER, Origin="http://[::1"))  # not a URL: unknown
    assert r.status_code == 200
