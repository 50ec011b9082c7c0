"""`?explain=1` lists every campaign with internal reasons: operators only, outside development."""

from __future__ import annotations

import pytest

from adserver import create_app
from adserver.catalog import api_tokens, sites
from tests.builders import ZAHID

AI = {"placement": "article-footer", "article": {"topic": "artificial-intelligence"}}
PRODUCTION = {
    "environment": "production",
    "secret_key": "q3F9xL2vR7mT0bN8cW4kH6yJ1sD5gA2e",
    "public_url": "https://ads.example.com",
}


@pytest.fixture
def production(settings_overrides, example_catalog):
    app = create_app({**settings_overrides, **PRODUCTION})
    app.extensions["adserver"].catalog.refresh(force=True)
    yield app
    app.extensions["adserver"].close()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_explain_without_an_operator_token_is_refused_in_production(production):
    client = production.test_client()
    r = client.post("/v1/decision?explain=1", json=AI)
    assert r.status_code == 401 and "explain" not in r.get_json()
    assert client.get("/v1/decision", query_string={"topic": "ai", "explain": "1"}).status_code == 401
    assert client.post("/v1/decision", json=AI).status_code == 200  # without explain: open to all


@pytest.mark.parametrize("who", ["advertiser", "publisher"])
def test_an_advertisers_or_a_publishers_token_cannot_explain(production, db, who):
    if who == "publisher":
        sites.save(db, {"id": "north", "name": "North", "domains": ["north.example"]}, create=True)
    token = api_tokens.create(db, ZAHID) if who == "advertiser" else api_tokens.create(db, None, site_id="north")
    r = production.test_client().post("/v1/decision?explain=1", json=AI, headers=bearer(token))
    assert r.status_code == 403


def test_an_operator_token_explains_in_production(production, db):
    r = production.test_client().post("/v1/decision?explain=1", json=AI, headers=bearer(api_tokens.create(db, None)))
    assert r.status_code == 200 and "candidates" in r.get_json()["explain"]


def test_explain_needs_no_token_in_development_or_the_test_suite(client, example_catalog):
    assert "explain" in client.post("/v1/decision?explain=1", json=AI).get_json()
