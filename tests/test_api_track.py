"""Signed tracking URLs: view beacons and click redirects."""

from __future__ import annotations

import hashlib
import time
from urllib.parse import urlsplit

from itsdangerous import TimestampSigner

from adserver.tracking import Tracker


def decision(client):
    r = client.post(
        "/v1/decision", json={"placement": "article-footer", "article": {"topic": "artificial-intelligence"}}
    )
    assert r.status_code == 200
    return r.get_json()


def path(url: str) -> str:
    return urlsplit(url).path


def test_click_redirects_to_the_registered_landing_url(client, example_catalog):
    d = decision(client)
    r = client.get(path(d["tracking"]["click_url"]))
    assert r.status_code == 302
    assert r.headers["Location"] == "https://zahid.host/signup?utm_source=adserver"


def test_click_ignores_any_redirect_target_in_the_query(client, example_catalog):
    d = decision(client)
    r = client.get(path(d["tracking"]["click_url"]) + "?url=https://evil.example&next=//evil.example")
    assert r.headers["Location"] == "https://zahid.host/signup?utm_source=adserver"


def test_secondary_click_goes_to_the_secondary_cta(client, example_catalog):
    d = decision(client)
    r = client.get(path(d["tracking"]["secondary_click_url"]))
    assert r.headers["Location"] == "https://zahid.host/pricing"


def test_view_beacon_accepts_a_valid_signature(client, example_catalog):
    d = decision(client)
    assert client.post(path(d["tracking"]["view_url"])).status_code == 204
    assert client.get(path(d["tracking"]["view_url"])).status_code == 204


def test_tampered_token_is_403(client, example_catalog):
    d = decision(client)
    p = path(d["tracking"]["click_url"])
    tampered = p[:-3] + ("AAA" if not p.endswith("AAA") else "BBB")
    r = client.get(tampered)
    assert r.status_code == 403
    assert r.get_json()["error"]["code"] == "bad_signature"


def test_token_signed_with_another_key_is_403(client, example_catalog):
    signer = TimestampSigner("attacker-key", salt="adserver.tracking.click", digest_method=hashlib.sha256)
    forged = signer.sign(
        ",".join(["d" * 32, "zahid-ai-side-projects", "zahid-agents-card", "article-footer", "", "default", "p"])
    ).decode()
    assert client.get(f"/t/click/{forged}").status_code == 403


def test_view_token_is_not_a_click_token(client, example_catalog):
    d = decision(client)
    view_token = path(d["tracking"]["view_url"]).rsplit("/", 1)[1]
    assert client.get(f"/t/click/{view_token}").status_code == 403


def test_expired_link_is_410(app, client, example_catalog):
    svc = app.extensions["adserver"]
    d = decision(client)
    token = path(d["tracking"]["view_url"]).rsplit("/", 1)[1]
    short = Tracker(svc.settings.secret_key, view_ttl=0, click_ttl=0)
    time.sleep(1.1)
    svc.tracker, original = short, svc.tracker
    try:
        r = client.post(f"/t/view/{token}")
    finally:
        svc.tracker = original
    assert r.status_code == 410
    assert r.get_json()["error"]["code"] == "link_expired"
