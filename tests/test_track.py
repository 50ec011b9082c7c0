import time

from tests.events_helpers import BROWSER, counts, decide, drain, path, rollup_totals

BOT = {"User-Agent": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"}


def test_view_beacon_is_counted_once(client, services, example_catalog):
    body = decide(client)
    assert client.post(path(body["tracking"]["view_url"]), headers=BROWSER).status_code == 204
    drain(services)
    assert counts(services.db)[("view", True)] == 1


def test_replayed_view_is_accepted_but_not_counted_again(client, services, example_catalog):
    body = decide(client)
    url = path(body["tracking"]["view_url"])
    codes = [client.post(url, headers=BROWSER).status_code for _ in range(3)]
    drain(services)
    assert codes == [204, 204, 204] and counts(services.db)[("view", True)] == 1


def test_replayed_click_redirects_but_counts_once(client, services, example_catalog):
    body = decide(client)
    url = path(body["tracking"]["click_url"])
    locations = {client.get(url, headers=BROWSER).headers["Location"] for _ in range(2)}
    drain(services)
    assert len(locations) == 1
    assert counts(services.db)[("click", True)] == 1


def test_click_redirects_only_to_the_landing_url_whatever_the_query(client, services, example_catalog):
    body = decide(client)
    campaign = services.catalog.get().by_id[body["campaign"]["id"]]
    r = client.get(path(body["tracking"]["click_url"]) + "?next=https://evil.example/&url=https://evil.example/")
    assert r.status_code == 302 and r.headers["Location"] in {c.landing_url for c in campaign.creatives}


def test_click_is_billed_at_the_cpc_price(client, services, example_catalog):
    body = decide(client)
    client.get(path(body["tracking"]["click_url"]), headers=BROWSER)
    drain(services)
    from sqlalchemy import select

    from adserver.storage import EventRow

    with services.db.session() as s:
        cost = s.execute(select(EventRow.cost).where(EventRow.event_type == "click")).scalar_one()
    assert float(cost) == 0.45


def test_tampered_view_is_refused_and_not_counted(client, services, example_catalog):
    url = path(decide(client)["tracking"]["view_url"])
    r = client.post(url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB"), headers=BROWSER)
    drain(services)
    assert r.status_code == 403 and ("view", True) not in counts(services.db)


def test_forged_click_is_refused_and_not_counted(client, services, example_catalog):
    r = client.get("/t/click/WyJkIiwiYyJd.forged.signature", headers=BROWSER)
    drain(services)
    assert r.status_code == 403 and ("click", True) not in counts(services.db)


def test_view_token_cannot_be_used_as_a_click(client, services, example_catalog):
    token = decide(client)["tracking"]["view_url"].rsplit("/", 1)[-1]
    assert client.get(f"/t/click/{token}", headers=BROWSER).status_code == 403


def test_expired_view_is_refused_and_not_counted(client, services, example_catalog):
    url = path(decide(client)["tracking"]["view_url"])
    services.tracker.ttl["view"] = 0
    time.sleep(1.1)
    r = client.post(url, headers=BROWSER)
    drain(services)
    assert r.status_code == 410 and ("view", True) not in counts(services.db)


def test_bot_view_is_answered_but_not_billed(client, services, example_catalog):
    body = decide(client)
    r = client.post(path(body["tracking"]["view_url"]), headers=BOT)
    drain(services)
    c = counts(services.db)
    assert r.status_code == 204 and ("view", True) not in c and c[("view", False)] == 1


def test_bot_counts_stay_visible_in_rollups(client, services, example_catalog):
    decide(client, headers=BOT)
    drain(services)
    assert rollup_totals(services.db)["nonbillable_impressions"] == 1


def test_over_the_rate_limit_is_429_and_not_counted(settings_overrides, example_catalog, services):
    from adserver import create_app

    app = create_app({**settings_overrides, "track_rate_limit": "2/minute"})
    try:
        c = app.test_client()
        urls = [path(decide(c)["tracking"]["view_url"]) for _ in range(3)]
        codes = [c.post(u, headers=BROWSER).status_code for u in urls]
        drain(app.extensions["adserver"])
        assert codes == [204, 204, 429] and counts(services.db)[("view", True)] == 2
    finally:
        app.extensions["adserver"].close()
