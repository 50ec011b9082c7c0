"""Signed tracking URLs: view beacons and click redirects."""

from __future__ import annotations

import hashlib
import json
import time
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner

from adserver import create_app
from adserver.audience.client import ip_hash
from adserver.events.tracking import Tracker
from adserver.infra import keys

AI = {"placement": "article-footer", "article": {"topic": "artificial-intelligence"}}


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
    later = Tracker(svc.settings.secret_key, view_ttl=60, click_ttl=60, clock=lambda: time.time() + 61)
    svc.tracker, original = later, svc.tracker
    try:
        r = client.post(f"/t/view/{token}")
    finally:
        svc.tracker = original
    assert r.status_code == 410
    assert r.get_json()["error"]["code"] == "link_expired"


def test_a_decisions_tokens_signed_together_are_those_itsdangerous_signs_one_by_one():
    tracker = Tracker("test-secret-key-0123456789", view_ttl=60, click_ttl=60, clock=lambda: 1_800_000_000.0)
    ids = ("d1", "zahid-ai-side-projects", "zahid-agents-card", "article-footer", "c++", "default")
    assert tracker.tokens(ids, secondary=True) == (
        tracker.token("view", ids),
        tracker.token("click", ids),
        tracker.token("click", ids, "secondary"),
    )
    assert tracker.tokens(ids, secondary=False)[2] is None
    assert tracker.verify("click", tracker.tokens(ids, secondary=True)[2]).target == "secondary"


# --- the client's address behind a proxy ------------------------------------------------------------

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"}


@pytest.fixture
def app_with(settings_overrides, example_catalog):
    """An app built with extra settings, on the same (reset) Redis and SQL as `app`."""
    made = []

    def build(**extra):
        made.append(create_app({**settings_overrides, **extra}))
        svc = made[-1].extensions["adserver"]
        svc.catalog.refresh(force=True)
        return made[-1]

    yield build
    for a in made:
        a.extensions["adserver"].close()


def queued_ip_hashes(services) -> list[str]:
    return [json.loads(raw)["ip_hash"] for raw in services.redis.lrange(keys.INCOMING, 0, -1)]


def test_behind_a_trusted_proxy_each_reader_has_their_own_address(app_with):
    app = app_with(trusted_proxy_hops=1, beacon_rate_limit=1)
    svc, client = app.extensions["adserver"], app.test_client()
    for reader in ("203.0.113.7", "198.51.100.9"):
        headers = {**BROWSER, "X-Forwarded-For": reader}
        d = client.post("/v1/decision", json=AI, headers=headers).get_json()
        assert client.post(path(d["tracking"]["view_url"]), headers=headers).status_code == 204  # own limit
    salt = svc.settings.secret_key
    assert set(queued_ip_hashes(svc)) == {ip_hash("203.0.113.7", salt), ip_hash("198.51.100.9", salt)}


def test_only_the_trusted_hops_of_x_forwarded_for_are_believed(app_with):
    app = app_with(trusted_proxy_hops=1)
    svc, client = app.extensions["adserver"], app.test_client()
    # The reader wrote the first entry itself; the load balancer appended the address it saw.
    client.post("/v1/decision", json=AI, headers={**BROWSER, "X-Forwarded-For": "10.9.9.9, 203.0.113.7"})
    assert queued_ip_hashes(svc) == [ip_hash("203.0.113.7", svc.settings.secret_key)]


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app_with):
    app = app_with(beacon_rate_limit=1)
    client = app.test_client()
    codes = []
    for reader in ("203.0.113.7", "198.51.100.9"):
        headers = {**BROWSER, "X-Forwarded-For": reader}  # anyone can send it: it must not reset the limit
        d = client.post("/v1/decision", json=AI, headers=headers).get_json()
        codes.append(client.post(path(d["tracking"]["view_url"]), headers=headers).status_code)
    assert codes == [204, 429]


def test_a_click_over_the_address_limit_still_reaches_the_landing_page_uncounted(app_with):
    app = app_with(beacon_rate_limit=0)
    svc, client = app.extensions["adserver"], app.test_client()
    d = client.post("/v1/decision", json=AI, headers=BROWSER).get_json()
    r = client.get(path(d["tracking"]["click_url"]), headers=BROWSER)
    assert r.status_code == 302 and r.headers["Location"] == "https://zahid.host/signup?utm_source=adserver"
    queued = [json.loads(raw)["event_type"] for raw in svc.redis.lrange(keys.INCOMING, 0, -1)]
    assert queued == ["impression"]  # the click went to the rate-limited aggregate only


def test_with_allowed_hosts_another_host_header_is_refused_and_never_in_tracking_urls(app_with):
    client = app_with(allowed_hosts=("ads.example.com",)).test_client()
    r = client.post("/v1/decision", json=AI, headers={**BROWSER, "Host": "evil.example"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"
    r = client.post("/v1/decision", json=AI, headers={**BROWSER, "Host": "ads.example.com"})
    assert r.get_json()["tracking"]["click_url"].startswith("http://ads.example.com/t/click/")


def test_with_a_public_url_tracking_urls_ignore_the_host_header(app_with):
    client = app_with(public_url="https://ads.example.com").test_client()
    r = client.post("/v1/decision", json=AI, headers={**BROWSER, "Host": "evil.example"})
    assert r.get_json()["tracking"]["view_url"].startswith("https://ads.example.com/t/view/")


def test_a_topic_with_a_hash_keeps_its_tracking_urls_whole(client, example_catalog):
    # Normalised topics keep '#' ("C#" -> "c#"); unencoded, a browser would cut the URL there as a fragment.
    body = {
        "placement": "article-footer",
        "article": {"topic": "C#", "title": "AI agents in C#", "keywords": ["agents"]},
    }
    d = client.post("/v1/decision", json=body, headers=BROWSER).get_json()
    urls = d["tracking"]
    assert all("#" not in urls[k] for k in ("view_url", "click_url", "secondary_click_url"))
    assert f'href="{urls["click_url"]}"' in d["html"]
    assert client.post(path(urls["view_url"]), headers=BROWSER).status_code == 204
    assert client.get(path(urls["click_url"]), headers=BROWSER).status_code == 302
