"""Rules on the reader (device, country, schedule): applied per request, after the article's cached plan."""

from __future__ import annotations

import pytest

from adserver.catalog_file import read_file
from adserver.errors import CatalogError
from tests.conftest import EXAMPLE_CATALOG
from tests.test_api_decision import AI_ARTICLE
from tests.test_devices import AGENTS

ZAHID = "zahid-ai-side-projects"
PHONE, TABLET, DESKTOP = AGENTS["mobile"][0], AGENTS["tablet"][0], AGENTS["desktop"][0]


def example_with(**targeting) -> dict:
    """The example catalog with zahid.host's AI campaign given more targeting."""
    data = read_file(EXAMPLE_CATALOG)
    for adv in data["advertisers"]:
        for c in adv["campaigns"]:
            if c["id"] == ZAHID:
                c["targeting"].update(targeting)
    return data


def served(client, agent: str = DESKTOP, body=AI_ARTICLE, headers: dict | None = None, explain: bool = False):
    r = client.post(
        "/v1/decision" + ("?explain=1" if explain else ""),
        json=body,
        headers={"User-Agent": agent, **(headers or {})},
    )
    return r.get_json() if r.status_code == 200 else None


def zahid_rejection(body: dict) -> str | None:
    return next((r["reason"] for r in body["explain"]["rejected"] if r["campaign"] == ZAHID), None)


def test_a_mobile_campaign_serves_phones_only_though_readers_share_the_articles_plan(client, load_catalog):
    load_catalog(example_with(devices=["mobile"]))
    assert served(client, DESKTOP)["campaign"]["id"] != ZAHID  # the article's plan is made here
    assert served(client, PHONE)["campaign"]["id"] == ZAHID
    assert served(client, TABLET)["campaign"]["id"] != ZAHID
    assert served(client, DESKTOP)["campaign"]["id"] != ZAHID


def test_explain_names_the_readers_device(client, load_catalog):
    load_catalog(example_with(devices=["mobile", "tablet"]))
    assert zahid_rejection(served(client, DESKTOP, explain=True)) == "device desktop not targeted"
    assert zahid_rejection(served(client, "", explain=True)) == "device unknown not targeted"
    assert served(client, TABLET, explain=True)["campaign"]["id"] == ZAHID


def test_an_unknown_device_in_the_catalog_is_refused_by_field(load_catalog):
    with pytest.raises(CatalogError) as e:
        load_catalog(example_with(devices=["phone"]))
    assert any(path.endswith("targeting.devices.0") for path in e.value.fields), e.value.fields
