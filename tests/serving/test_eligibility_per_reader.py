"""Rules on the reader (device, country, schedule): applied per request, after the article's cached plan."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adserver import create_app
from adserver.errors import CatalogError
from tests.builders import AI_ARTICLE, BRITISH, BROWSER_AGENTS, FRENCH, GERMAN, ZAHID_CAMPAIGN, example_with

PHONE, TABLET, DESKTOP = BROWSER_AGENTS["mobile"][0], BROWSER_AGENTS["tablet"][0], BROWSER_AGENTS["desktop"][0]


def served(client, agent: str = DESKTOP, body=AI_ARTICLE, headers: dict | None = None, explain: bool = False):
    r = client.post(
        "/v1/decision" + ("?explain=1" if explain else ""),
        json=body,
        headers={"User-Agent": agent, **(headers or {})},
    )
    return r.get_json() if r.status_code == 200 else None


def zahid_rejection(body: dict) -> str | None:
    return next((r["reason"] for r in body["explain"]["rejected"] if r["campaign"] == ZAHID_CAMPAIGN), None)


def test_a_mobile_campaign_serves_phones_only_though_readers_share_the_articles_plan(client, load_catalog):
    load_catalog(example_with(devices=["mobile"]))
    assert served(client, DESKTOP)["campaign"]["id"] != ZAHID_CAMPAIGN  # the article's plan is made here
    assert served(client, PHONE)["campaign"]["id"] == ZAHID_CAMPAIGN
    assert served(client, TABLET)["campaign"]["id"] != ZAHID_CAMPAIGN
    assert served(client, DESKTOP)["campaign"]["id"] != ZAHID_CAMPAIGN


def test_explain_names_the_readers_device(client, load_catalog):
    load_catalog(example_with(devices=["mobile", "tablet"]))
    assert zahid_rejection(served(client, DESKTOP, explain=True)) == "device desktop not targeted"
    assert zahid_rejection(served(client, "", explain=True)) == "device unknown not targeted"
    assert served(client, TABLET, explain=True)["campaign"]["id"] == ZAHID_CAMPAIGN


def test_an_unknown_device_in_the_catalog_is_refused_by_field(load_catalog):
    with pytest.raises(CatalogError) as e:
        load_catalog(example_with(devices=["phone"]))
    assert any(path.endswith("targeting.devices.0") for path in e.value.fields), e.value.fields


def from_address(client, address: str, explain: bool = False, headers: dict | None = None):
    r = client.post(
        "/v1/decision" + ("?explain=1" if explain else ""),
        json=AI_ARTICLE,
        headers={"User-Agent": DESKTOP, **(headers or {})},
        environ_base={"REMOTE_ADDR": address},
    )
    return r.get_json() if r.status_code == 200 else None


def test_an_eu_campaign_serves_readers_whose_address_is_in_the_eu(client, load_catalog):
    load_catalog(example_with(regions=["EU"]))
    assert from_address(client, GERMAN)["campaign"]["id"] == ZAHID_CAMPAIGN
    assert from_address(client, BRITISH)["campaign"]["id"] != ZAHID_CAMPAIGN  # the same article's plan, another reader
    assert from_address(client, FRENCH)["campaign"]["id"] == ZAHID_CAMPAIGN
    assert zahid_rejection(from_address(client, BRITISH, explain=True)) == "country GB not targeted"


def test_countries_and_exclusions_combine_with_regions(client, load_catalog):
    load_catalog(example_with(regions=["DACH"], countries=["GB"], exclude_countries=["DE"]))
    assert from_address(client, BRITISH)["campaign"]["id"] == ZAHID_CAMPAIGN
    assert zahid_rejection(from_address(client, GERMAN, explain=True)) == "country DE excluded"
    assert zahid_rejection(from_address(client, FRENCH, explain=True)) == "country FR not targeted"


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "::1", "192.168.0.9"])
def test_without_a_country_a_geo_targeted_campaign_is_not_eligible_and_explain_says_so(client, load_catalog, address):
    load_catalog(example_with(exclude_countries=["US"]))
    assert zahid_rejection(from_address(client, address, explain=True)).startswith("the reader's country is unknown")
    assert from_address(client, address)["campaign"]["id"] != ZAHID_CAMPAIGN


@pytest.fixture
def cdn_client(settings_overrides):
    """The app behind a CDN that sends the reader's country (and one proxy hop: its edge)."""
    app = create_app({**settings_overrides, "country_header": "CF-IPCountry", "trusted_proxy_hops": 1})
    yield app.test_client()
    app.extensions["adserver"].close()


def test_a_configured_cdn_header_names_the_country_over_the_address(cdn_client, load_catalog):
    load_catalog(example_with(regions=["EU"]))
    cdn_client.application.extensions["adserver"].catalog.refresh(force=True)
    assert from_address(cdn_client, BRITISH, headers={"CF-IPCountry": "de"})["campaign"]["id"] == ZAHID_CAMPAIGN
    unknown = from_address(cdn_client, GERMAN, explain=True, headers={"CF-IPCountry": "XX"})
    assert zahid_rejection(unknown).startswith("the reader's country is unknown")  # Cloudflare's "unknown"
    assert zahid_rejection(from_address(cdn_client, GERMAN, explain=True, headers={"CF-IPCountry": "T1"}))
    # No header on the request: the address the trusted proxy saw is looked up instead.
    behind = {"X-Forwarded-For": FRENCH}
    assert from_address(cdn_client, "127.0.0.1", headers=behind)["campaign"]["id"] == ZAHID_CAMPAIGN


def test_without_a_configured_header_a_clients_country_header_is_ignored(client, load_catalog):
    load_catalog(example_with(regions=["EU"]))
    assert from_address(client, BRITISH, headers={"CF-IPCountry": "DE"})["campaign"]["id"] != ZAHID_CAMPAIGN


def test_unknown_countries_and_regions_in_the_catalog_are_refused_by_field(load_catalog):
    with pytest.raises(CatalogError) as e:
        load_catalog(example_with(countries=["de", "UK"], regions=["MARS"], exclude_countries=["XX"]))
    assert {p.split("targeting.")[1] for p in e.value.fields} == {
        "countries.0",
        "countries.1",
        "regions.0",
        "exclude_countries.0",
    }


def test_a_schedule_in_the_catalog_reaches_the_served_campaign(client, load_catalog, services):
    load_catalog(example_with(schedule={"days": ["mon", "sun"], "hours": ["00-12"], "timezone": "Asia/Tokyo"}))
    c = services.catalog.get().by_id[ZAHID_CAMPAIGN]
    assert c.targeting.schedule.zone == "Asia/Tokyo" and len(c.targeting.schedule.hours) == 24
    before = c.targeting.schedule.runs_at(datetime.now(UTC))
    body = served(client, explain=True)
    if before != c.targeting.schedule.runs_at(datetime.now(UTC)):
        pytest.skip("the request crossed the schedule's edge")
    if before:
        assert body["campaign"]["id"] == ZAHID_CAMPAIGN
    else:
        assert zahid_rejection(body).startswith("outside its schedule (")
