"""The decision API's contract: status codes, shapes, errors, escaping, explain, GET variant, headers."""

from __future__ import annotations

import copy

import pytest

from adserver.catalog_file import read_file
from tests.conftest import EXAMPLE_CATALOG

AI_ARTICLE = {"placement": "article-footer", "article": {"topic": "artificial-intelligence", "keywords": ["agents"]}}
HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def post(client, body, **kw):
    return client.post("/v1/decision", json=body, **kw)


def test_decision_answers_200_with_every_documented_key(client, example_catalog):
    body = post(client, AI_ARTICLE).get_json()
    assert set(body) >= {"decision_id", "placement", "campaign", "card", "html", "tracking", "score"}
    assert set(body["campaign"]) >= {"id", "advertiser"}
    assert set(body["card"]) >= {
        "advertiser", "tagline", "hook", "title", "body", "code_lines", "cta", "secondary_cta", "fine_print",
        "image_url",
    }  # fmt: skip
    assert set(body["tracking"]) >= {"view_url", "click_url"}
    assert body["html"].startswith("<aside")


def test_no_eligible_campaign_answers_204_with_empty_body(client, example_catalog):
    r = post(client, {"placement": "article-footer", "article": {"topic": "zzz-nothing", "keywords": ["qqq"]}})
    assert r.status_code == 204
    assert r.data == b""


def test_empty_catalog_answers_204(client):
    assert post(client, AI_ARTICLE).status_code == 204


@pytest.mark.parametrize(
    ("article", "field"),
    [
        ({"topic": 12}, "article.topic"),
        ({"keywords": "ai"}, "article.keywords"),
        ({"keywords": ["ai", 3]}, "article.keywords.1"),
        ({"topic": "ai", "sentiment": "furious"}, "article.sentiment"),
    ],
)
def test_wrong_types_answer_400_naming_the_field(client, article, field):
    r = post(client, {"placement": "article-footer", "article": article})
    assert r.status_code == 400
    err = r.get_json()["error"]
    assert set(err) == {"code", "message", "fields"}
    assert field in err["fields"]


def test_too_many_keywords_answer_400_on_keywords(client):
    r = post(client, {"placement": "article-footer", "article": {"keywords": [f"k{i}" for i in range(51)]}})
    assert r.status_code == 400
    assert "article.keywords" in r.get_json()["error"]["fields"]


def test_unknown_placement_answers_400_on_placement(client, example_catalog):
    r = post(client, {"placement": "popup", "article": {"topic": "ai"}})
    assert r.status_code == 400
    assert "placement" in r.get_json()["error"]["fields"]


def test_missing_article_answers_400_on_article(client):
    r = post(client, {"placement": "article-footer"})
    assert r.status_code == 400
    assert "article" in r.get_json()["error"]["fields"]


def test_article_without_topic_keywords_or_title_answers_400(client):
    r = post(client, {"placement": "article-footer", "article": {"summary": "text"}})
    assert r.status_code == 400
    assert r.get_json()["error"]["fields"]


def test_body_over_16_kib_answers_413(client):
    big = {"placement": "article-footer", "article": {"topic": "ai", "summary": "x" * 17000}}
    r = post(client, big)
    assert r.status_code == 413
    assert r.get_json()["error"]["code"]


def test_non_json_body_answers_415(client):
    r = client.post("/v1/decision", data="placement=article-footer", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415
    assert r.get_json()["error"]["code"] == "unsupported_media_type"


def test_invalid_json_answers_400(client):
    r = client.post("/v1/decision", data="{not json", content_type="application/json")
    assert r.status_code == 400


def test_unsupported_method_answers_405_in_the_error_shape(client):
    r = client.delete("/v1/decision")
    assert r.status_code == 405
    assert "error" in r.get_json()


@pytest.fixture
def hostile_catalog(load_catalog):
    data = copy.deepcopy(read_file(EXAMPLE_CATALOG))
    creative = data["advertisers"][0]["campaigns"][0]["creatives"][0]
    for key in ("title", "hook", "body", "tagline", "fine_print", "display_name"):
        creative[key] = f"{key} {HOSTILE}"
    creative["hook_variants"] = {k: f"variant {HOSTILE}" for k in creative.get("hook_variants", {})}
    creative["code_lines"] = [f"$ echo {HOSTILE}"]
    creative["cta"]["text"] = f"go {HOSTILE}"
    load_catalog(data)


def test_hostile_creative_text_is_escaped_in_html(client, hostile_catalog):
    body = post(client, AI_ARTICLE).get_json()
    assert body["campaign"]["id"] == "zahid-ai-side-projects"
    html = body["html"]
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html


def test_hostile_creative_text_is_returned_verbatim_in_card_fields(client, hostile_catalog):
    card = post(client, AI_ARTICLE).get_json()["card"]
    assert HOSTILE in card["title"]


def test_explain_returns_score_parts_for_each_candidate(client, example_catalog):
    body = client.post("/v1/decision?explain=1", json=AI_ARTICLE).get_json()
    candidates = body["explain"]["candidates"]
    assert candidates
    assert all(isinstance(c["parts"], dict) and "score" in c for c in candidates)
    assert [c["campaign"] for c in candidates if c["chosen"]] == [body["campaign"]["id"]]


def test_without_explain_there_is_no_explanation(client, example_catalog):
    assert "explain" not in post(client, AI_ARTICLE).get_json()


def test_get_variant_gives_the_same_choice_as_post(client, example_catalog):
    r = client.get("/v1/decision?topic=artificial-intelligence&keywords=agents&placement=article-footer")
    assert r.status_code == 200
    assert r.get_json()["campaign"]["id"] == post(client, AI_ARTICLE).get_json()["campaign"]["id"]


def test_get_variant_with_too_many_keywords_answers_400(client):
    kws = ",".join(f"k{i}" for i in range(51))
    r = client.get(f"/v1/decision?keywords={kws}")
    assert r.status_code == 400
    assert "keywords" in r.get_json()["error"]["fields"]


def test_decision_allows_cross_origin_calls(client, example_catalog):
    r = post(client, AI_ARTICLE, headers={"Origin": "https://news.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_preflight_allows_post_with_json(client):
    r = client.options(
        "/v1/decision",
        headers={"Origin": "https://news.example", "Access-Control-Request-Method": "POST"},
    )
    assert r.status_code in (200, 204)
    assert "POST" in r.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize("path", ["/v1/decision", "/demo", "/healthz", "/readyz", "/", "/openapi.json"])
def test_no_response_sets_a_cookie(client, example_catalog, path):
    r = client.get(path + ("?topic=ai" if path == "/v1/decision" else ""))
    assert "Set-Cookie" not in r.headers


def test_decision_post_sets_no_cookie(client, example_catalog):
    assert "Set-Cookie" not in post(client, AI_ARTICLE).headers
