"""`GET /v1/decisions`: a page's slots in one request, one decision per placement, no advertiser twice."""

from __future__ import annotations

from tests.builders import BROWSER

SLOTS = ("article-footer", "sidebar", "article-inline")
AI = {"topic": "artificial-intelligence", "keywords": "agents,robotics"}


def decisions(client, **params):
    return client.get("/v1/decisions", query_string=params, headers=BROWSER)


def test_each_placement_gets_its_own_decision_and_no_advertiser_shows_twice(client, example_catalog):
    r = decisions(client, placements=",".join(SLOTS), **AI)
    assert r.status_code == 200
    body = r.get_json()["decisions"]
    assert len(body) == 3
    filled = [d for d in body if d is not None]
    assert filled[0]["placement"] == "article-footer" and filled[0]["campaign"]["advertiser_id"] == "zahid-host"
    advertisers = [d["campaign"]["advertiser_id"] for d in filled]
    assert len(set(advertisers)) == len(advertisers)
    assert len({d["decision_id"] for d in filled}) == len(filled)
    assert [d and d["placement"] for d in body] == [d and p for p, d in zip(SLOTS, body, strict=True)]


def test_the_first_slot_gets_what_a_single_decision_would(client, example_catalog):
    one = client.get("/v1/decision", query_string=AI, headers=BROWSER).get_json()
    many = decisions(client, placements="article-footer,sidebar", **AI).get_json()["decisions"]
    assert many[0]["campaign"] == one["campaign"]


def test_a_slot_nothing_fills_is_null_in_its_place(client, example_catalog):
    body = decisions(client, placements="article-footer,sidebar,article-inline", topic="sport").get_json()
    assert [d and d["campaign"]["id"] for d in body["decisions"]] == [
        "matchday-live-football",
        "briefing-morning-newsletter",  # the house card, once
        None,  # nobody else is left for the third slot
    ]


def test_an_unknown_placement_is_a_400_naming_the_field(client, example_catalog):
    r = decisions(client, placements="article-footer,popup", **AI)
    assert r.status_code == 400
    assert "placement" in r.get_json()["error"]["fields"]


def test_more_than_ten_placements_is_a_400(client, example_catalog):
    r = decisions(client, placements=",".join(["sidebar"] * 11), **AI)
    assert r.status_code == 400
    assert "placements" in r.get_json()["error"]["fields"]


def test_decisions_are_callable_from_publisher_pages_and_never_cached(client, example_catalog):
    r = decisions(client, placements="article-footer,sidebar", **AI)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Cache-Control"] == "no-store"


def test_decisions_are_in_the_openapi_document(client):
    spec = client.get("/openapi.json").get_json()
    assert "/v1/decisions" in spec["paths"]
