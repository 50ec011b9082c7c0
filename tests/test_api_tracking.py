"""Signed tracking URLs: they verify, tampering and expiry are refused, clicks only go to the landing URL."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from adserver import create_app

AI_ARTICLE = {"placement": "article-footer", "article": {"topic": "artificial-intelligence", "keywords": ["agents"]}}


@pytest.fixture
def decision(client, example_catalog):
    return client.post("/v1/decision", json=AI_ARTICLE).get_json()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def tampered(url: str) -> str:
    token = path_of(url)
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


def test_view_url_verifies(client, decision):
    assert client.post(path_of(decision["tracking"]["view_url"])).status_code == 204


def test_view_url_as_get_verifies(client, decision):
    assert client.get(path_of(decision["tracking"]["view_url"])).status_code == 204


def test_click_redirects_to_registered_landing_url(client, decision):
    r = client.get(path_of(decision["tracking"]["click_url"]))
    assert r.status_code == 302
    assert r.headers["Location"] == decision["card"]["cta"]["url"]


def test_click_ignores_redirect_targets_in_the_query_string(client, decision):
    url = path_of(decision["tracking"]["click_url"])
    r = client.get(url + "?url=https://evil.example&next=https://evil.example&redirect=https://evil.example")
    assert r.headers["Location"] == decision["card"]["cta"]["url"]


def test_tampered_click_token_is_refused(client, decision):
    r = client.get(tampered(decision["tracking"]["click_url"]))
    assert r.status_code == 403
    assert "Location" not in r.headers


def test_tampered_view_token_is_refused(client, decision):
    assert client.post(tampered(decision["tracking"]["view_url"])).status_code == 403


def test_view_token_is_not_a_click_token(client, decision):
    token = urlsplit(decision["tracking"]["view_url"]).path.rsplit("/", 1)[1]
    assert client.get(f"/t/click/{token}").status_code == 403


def test_expired_click_token_answers_410(settings_overrides, decision):
    app = create_app({**settings_overrides, "click_url_ttl": 1})
    try:
        app.extensions["adserver"].catalog.refresh(force=True)
        time.sleep(2.1)
        r = app.test_client().get(path_of(decision["tracking"]["click_url"]))
        assert r.status_code == 410
    finally:
        app.extensions["adserver"].close()


def test_tracking_endpoints_set_no_cookie(client, decision):
    assert "Set-Cookie" not in client.get(path_of(decision["tracking"]["click_url"])).headers
    assert "Set-Cookie" not in client.post(path_of(decision["tracking"]["view_url"])).headers
