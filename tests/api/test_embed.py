"""The publisher snippet as served: small, cacheable, versioned; and the `exclude` it relies on."""

from __future__ import annotations

import gzip
from pathlib import Path

import adserver

EMBED = Path(adserver.__file__).parent / "static" / "embed.js"


def test_embed_js_is_at_most_4_kb_gzipped():
    assert len(gzip.compress(EMBED.read_bytes(), compresslevel=9)) <= 4 * 1024


def test_embed_js_is_cacheable_and_revalidates_with_its_etag(client):
    r = client.get("/embed.js")
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "public, max-age=300"
    again = client.get("/embed.js", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_versioned_embed_is_the_same_script_cached_longer(client):
    r = client.get("/embed.v1.js")
    assert r.get_data() == EMBED.read_bytes()
    assert r.headers["Cache-Control"] == "public, max-age=86400"


def test_excluded_advertiser_is_never_chosen(client, example_catalog):
    q = {"topic": "artificial-intelligence", "keywords": "agents,robotics"}
    first = client.get("/v1/decision", query_string=q).get_json()
    second = client.get("/v1/decision", query_string=q | {"exclude": first["campaign"]["advertiser_id"]})
    assert second.status_code in (200, 204)
    if second.status_code == 200:
        assert second.get_json()["campaign"]["advertiser_id"] != first["campaign"]["advertiser_id"]


def test_post_accepts_exclude_too(client, example_catalog):
    body = {"placement": "article-footer", "article": {"topic": "artificial-intelligence", "keywords": ["agents"]}}
    first = client.post("/v1/decision", json=body).get_json()
    r = client.post("/v1/decision", json=body | {"exclude": [first["campaign"]["advertiser_id"]]})
    assert r.status_code == 204 or r.get_json()["campaign"]["advertiser_id"] != first["campaign"]["advertiser_id"]
