"""Frequency caps keyed by the publisher's anonymous reader id (never a cookie of ours), on real Redis."""

from __future__ import annotations

from dataclasses import replace

import redis as redis_lib

from adserver.catalog.files import export_catalog, import_catalog
from adserver.events.pacing import RedisBudget
from adserver.serving.decision import decide
from adserver.serving.snapshot import CatalogSnapshot
from tests.builders import CAMPAIGN, TODAY, campaign, catalog_file, errors_of
from tests.builders import article as ctx


def capped_snapshot(cap=2, hours=24):
    capped = replace(campaign("capped", targeting={"topics": ["sport"]}, priority=2), frequency_cap=cap)
    capped = replace(capped, frequency_hours=hours)
    filler = campaign("filler", targeting={"topics": ["sport"]}, priority=1)
    return CatalogSnapshot.build(1, (capped, filler))


def winners(gate, snap, reader, n):
    context = ctx(topic="sport", reader=reader)
    return [decide(context, snap, budget=gate, today=TODAY).decision.campaign.id for _ in range(n)]


def test_a_reader_sees_a_capped_campaign_at_most_cap_times(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    gate, snap = RedisBudget(conn, salt="s"), capped_snapshot(cap=2)
    assert winners(gate, snap, "reader-1", 4) == ["capped", "capped", "filler", "filler"]
    # Another reader has their own count; no reader id means no cap can apply.
    assert winners(gate, snap, "reader-2", 1) == ["capped"]
    assert winners(gate, snap, "", 3) == ["capped"] * 3
    out = decide(ctx(topic="sport", reader="reader-1"), snap, budget=gate, today=TODAY)
    assert ("capped", "frequency cap reached for this reader") in [(r.campaign_id, r.reason) for r in out.rejected]


def test_the_cap_window_expires_and_the_reader_id_is_not_stored_raw(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    gate, snap = RedisBudget(conn, salt="s"), capped_snapshot(cap=1, hours=2)
    winners(gate, snap, "alice@example.org", 1)
    (key,) = conn.keys("adserver:cap:*")
    assert b"alice" not in key
    assert 7000 < conn.ttl(key) <= 7200
    conn.delete(key)  # the window is over
    assert winners(gate, snap, "alice@example.org", 1) == ["capped"]


def test_the_api_applies_the_cap_from_article_reader(services, client, load_catalog):
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0]["frequency_cap"] = {"impressions": 1, "hours": 1}
    load_catalog(data)
    services.redis.flushdb()
    article = {"topic": "technology", "keywords": ["gadgets"], "reader": "r-77"}
    body = {"placement": "article-footer", "article": article}
    first = client.post("/v1/decision", json=body)
    assert first.status_code == 200
    # The only campaign is capped for r-77 now: no fill for them, a card for anyone else.
    assert client.post("/v1/decision", json=body).status_code == 204
    body["article"]["reader"] = "r-78"
    assert client.post("/v1/decision", json=body).status_code == 200
    # The same id may come as a header instead (a publisher's server calling on the reader's behalf).
    del body["article"]["reader"]
    assert client.post("/v1/decision", json=body, headers={"X-Reader-Id": "r-79"}).status_code == 200
    assert client.post("/v1/decision", json=body, headers={"X-Reader-Id": "r-79"}).status_code == 204


def test_catalog_file_validates_and_round_trips_the_cap(db):
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0]["frequency_cap"] = {"impressions": 0}
    assert f"{CAMPAIGN}.frequency_cap.impressions" in errors_of(data)
    data["advertisers"][0]["campaigns"][0]["frequency_cap"] = {"impressions": 3, "hours": 12}
    import_catalog(db, data)
    exported = export_catalog(db)["advertisers"][0]["campaigns"][0]
    assert exported["frequency_cap"] == {"impressions": 3, "hours": 12}


def test_get_with_reader_shares_the_parsed_query_and_caps_each_reader(app, services, client, load_catalog):
    """The snippet sends `reader=` in the query: readers of one page share the parse, never the reader."""
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0]["frequency_cap"] = {"impressions": 1, "hours": 1}
    load_catalog(data)
    services.redis.flushdb()
    parser = app.blueprints["decision"].ARGUMENTS_PARSER
    url = "/v1/decision?topic=technology&keywords=gadgets&id=get-reader-test&reader="
    hits = parser.memo.hits
    assert client.get(url + "r-1").status_code == 200
    assert client.get(url + "r-2").status_code == 200  # another reader: parsed once, capped apart
    assert client.get(url + "r-1").status_code == 204  # r-1 has had its one impression
    assert client.get(url.removesuffix("&reader=")).status_code == 200  # no reader: no cap
    assert parser.memo.hits == hits + 3  # all but the first reused one parse, the reader-less one too
    r = client.get(url + "x" * 129)
    assert r.status_code == 400 and "reader" in r.get_json()["error"]["fields"]
