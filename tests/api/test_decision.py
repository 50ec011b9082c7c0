"""The decision contract other parts rely on: status codes, shapes, escaping, explain."""

from __future__ import annotations

import copy

import pytest

from adserver.catalog.files import read_file
from adserver.serving.matching import AGAINST_PUBLISHER
from tests.builders import AI_ARTICLE
from tests.builders import post_decision as decide
from tests.conftest import EXAMPLE_CATALOG


def test_ai_article_gets_the_zahid_card_with_its_topic_hook(client, example_catalog):
    r = decide(client)
    assert r.status_code == 200
    body = r.get_json()
    assert body["campaign"] == {
        "id": "zahid-ai-side-projects",
        "advertiser": "zahid.host",
        "advertiser_id": "zahid-host",
    }
    assert body["card"]["hook"] == "reading about agents? ship yours in a single git push."
    assert body["card"]["hook_variant"] == "artificial-intelligence"
    assert body["card"]["code_lines"] == ["$ git push zahid main", "Live at https://your-agent.zahid.host"]
    assert set(body) >= {"decision_id", "campaign", "card", "html", "tracking", "score"}
    assert body["html"].startswith("<aside") and "zahid.host" in body["html"]
    assert body["tracking"]["view_url"].startswith("http://localhost/t/view/")
    assert body["tracking"]["click_url"] in body["html"]
    assert r.headers["Cache-Control"] == "no-store"


def test_each_decision_has_its_own_id(client, example_catalog):
    ids = {decide(client).get_json()["decision_id"] for _ in range(5)}
    assert len(ids) == 5


def test_sport_article_gets_a_sport_sponsor(client, example_catalog):
    body = {"placement": "article-footer", "article": {"topic": "sport", "keywords": ["football"]}}
    assert decide(client, body).get_json()["campaign"]["id"] == "matchday-live-football"


def test_get_variant_decides_like_post(client, example_catalog):
    r = client.get("/v1/decision?topic=artificial-intelligence&keywords=agents,robotics&placement=article-footer")
    assert r.status_code == 200
    assert r.get_json()["campaign"]["id"] == "zahid-ai-side-projects"


def test_nothing_eligible_is_204_with_empty_body(client, example_catalog):
    body = {"placement": "article-footer", "article": {"topic": "religion", "sentiment": "negative"}}
    r = decide(client, body)
    assert r.status_code == 204
    assert r.data == b""


def test_empty_catalog_is_204(client):
    assert decide(client).status_code == 204


@pytest.mark.parametrize(
    ("article", "field"),
    [
        ({"topic": 3}, "article.topic"),
        ({"keywords": "ai"}, "article.keywords"),
        ({"keywords": ["ok", 5]}, "article.keywords.1"),
        ({"keywords": [f"k{i}" for i in range(51)]}, "article.keywords"),
        ({"topic": "ai", "sentiment": "furious"}, "article.sentiment"),
        ({"topic": "ai", "url": "javascript:alert(1)"}, "article.url"),
    ],
)
def test_bad_article_field_is_400_naming_the_field(client, example_catalog, article, field):
    r = decide(client, {"placement": "article-footer", "article": article})
    assert r.status_code == 400
    err = r.get_json()["error"]
    assert err["code"] == "invalid_request"
    assert field in err["fields"]


def test_an_article_with_nothing_to_match_is_a_422_both_ways(client, example_catalog):
    """Well formed, but no topic, keywords or title: 422 (the query string's document cannot state the rule)."""
    post = decide(client, {"placement": "article-footer", "article": {"summary": "no topic, keywords or title"}})
    get = client.get("/v1/decision", query_string={"summary": "no topic, keywords or title", "keywords": " , "})
    for r in (post, get):
        assert r.status_code == 422
        assert r.get_json()["error"]["code"] == "nothing_to_match"
    assert set(post.get_json()["error"]["fields"]) == {"article"}
    both = decide(client, {"placement": "article-footer", "article": {"summary": "x", "sentiment": "furious"}})
    assert both.status_code == 400  # with a bad field as well, the bad field's 400
    assert set(both.get_json()["error"]["fields"]) == {"article.sentiment"}


def test_both_ways_of_asking_take_the_same_summary_limit(client, example_catalog):
    """The JSON body and the query string share one article field set (GET allowed 2000, POST 5000)."""
    for summary, status in (("s" * 5000, {200, 204}), ("s" * 5001, {400})):
        post = decide(client, {"placement": "article-footer", "article": {"topic": "ai", "summary": summary}})
        get = client.get("/v1/decision", query_string={"topic": "ai", "summary": summary})
        assert post.status_code in status and get.status_code in status
        if 400 in status:
            assert "article.summary" in post.get_json()["error"]["fields"]
            assert "summary" in get.get_json()["error"]["fields"]


def test_unknown_placement_is_400_naming_placement(client, example_catalog):
    r = decide(client, {"placement": "popup", "article": {"topic": "ai"}})
    assert r.status_code == 400
    assert "placement" in r.get_json()["error"]["fields"]


def test_a_placement_valid_for_one_app_is_refused_by_another_without_it(settings_overrides, example_catalog):
    from adserver.app import create_app

    body = {"placement": "sidebar", "article": {"topic": "ai"}}
    wide = create_app({**settings_overrides, "placements": ("article-footer", "sidebar")})
    narrow = create_app({**settings_overrides, "placements": ("article-footer",)})
    try:
        assert decide(wide.test_client(), body).status_code in (200, 204)
        narrow_client = narrow.test_client()
        for r in (decide(narrow_client, body), narrow_client.get("/v1/decision?placement=sidebar&topic=ai")):
            assert r.status_code == 400  # the parse memo remembered it valid for the other app only
            assert r.get_json()["error"]["fields"]["placement"] == ["Must be one of: article-footer."]
    finally:
        wide.extensions["adserver"].close()
        narrow.extensions["adserver"].close()


def test_missing_article_is_400(client):
    r = decide(client, {"placement": "article-footer"})
    assert r.status_code == 400
    assert "article" in r.get_json()["error"]["fields"]


def test_body_over_16_kib_is_413(client):
    big = {"placement": "article-footer", "article": {"title": "x", "summary": "y" * 17000}}
    r = decide(client, big)
    assert r.status_code == 413
    assert r.get_json()["error"]["code"] == "request_entity_too_large"


def test_non_json_body_is_415(client):
    r = client.post("/v1/decision", data="topic=ai", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415


def test_malformed_json_is_400(client):
    r = client.post("/v1/decision", data="{not json", content_type="application/json")
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] == "invalid_json"


def test_wrong_method_is_405_in_the_error_shape(client):
    r = client.delete("/v1/decision")
    assert r.status_code == 405
    assert r.get_json()["error"]["code"] == "method_not_allowed"


def test_explain_lists_candidates_with_score_parts_and_rejections(client, example_catalog):
    r = client.post("/v1/decision?explain=1", json=AI_ARTICLE)
    explain = r.get_json()["explain"]
    chosen = [c for c in explain["candidates"] if c["chosen"]]
    assert [c["campaign"] for c in chosen] == ["zahid-ai-side-projects"]
    assert chosen[0]["parts"]["topic"] > 0 and chosen[0]["parts"]["keywords"] > 0
    assert sum(chosen[0]["parts"].values()) == pytest.approx(chosen[0]["score"])
    reasons = {r["campaign"]: r["reason"] for r in explain["rejected"]}
    assert reasons["encore-comedy-tour"] == "status is paused"
    assert reasons["voltdrive-winter-tyres"] == "outside its flight dates"


def test_no_explain_unless_asked(client, example_catalog):
    assert "explain" not in decide(client).get_json()


HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(1)>"


def test_hostile_creative_text_is_escaped_in_html(client, load_catalog):
    data = read_file(EXAMPLE_CATALOG)
    data = {"advertisers": [copy.deepcopy(data["advertisers"][0])]}
    card = data["advertisers"][0]["campaigns"][0]["creatives"][0]
    for field in ("display_name", "tagline", "title", "body", "fine_print"):
        card[field] = HOSTILE
    card["hook_variants"] = {"artificial-intelligence": HOSTILE}
    card["code_lines"] = [HOSTILE]
    card["cta"]["text"] = HOSTILE
    load_catalog(data)
    body = decide(client).get_json()
    assert "<script>" not in body["html"] and "<img src=x" not in body["html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body["html"]
    assert body["card"]["title"] == HOSTILE  # JSON carries the raw text; the page must escape it


def test_no_cookies_and_cors_for_publisher_pages(client, example_catalog):
    r = decide(client, headers={"Origin": "https://news.example"})
    assert "Set-Cookie" not in r.headers
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    pre = client.options(
        "/v1/decision", headers={"Origin": "https://news.example", "Access-Control-Request-Method": "POST"}
    )
    assert pre.status_code == 200 and "POST" in pre.headers["Access-Control-Allow-Methods"]


def test_paused_campaign_stops_winning_after_refresh(client, services, example_catalog):
    from adserver.catalog.files import set_status

    set_status(services.db, "zahid-ai-side-projects", "paused")
    assert services.catalog.refresh() is True
    assert decide(client).get_json()["campaign"]["id"] != "zahid-ai-side-projects"


def test_a_food_article_never_gets_zahid_host(client, example_catalog):
    body = {"placement": "article-footer", "article": {"topic": "food", "title": "Ten pasta recipes for winter"}}
    for _ in range(20):
        r = decide(client, body)
        assert r.status_code == 200
        assert r.get_json()["campaign"]["id"] == "pantry-recipe-boxes"


PRIORITY_ONE = {"zahid-ai-side-projects", "ledgerly-index-investing", "matchday-live-football"}


@pytest.mark.parametrize(
    "article",
    [
        {"topic": "food", "title": "Ten pasta recipes for winter"},
        {"topic": "politics", "title": "Parliament votes on the new housing bill"},
        {"topic": "travel", "title": "A weekend in Lisbon by night train"},
        {"topic": "health", "title": "Doctors warn of a rise in flu cases"},
        {"title": "The band announces a world tour and a new album"},
        {"title": "Scientists find water ice on a distant moon"},
    ],
)
def test_a_priority_one_campaign_is_never_served_outside_its_topics(client, example_catalog, article):
    r = decide(client, {"placement": "article-footer", "article": article}, query_string={"explain": "1"})
    body = r.get_json()
    assert body["campaign"] is None or body["campaign"]["id"] not in PRIORITY_ONE
    for rejected in body["explain"]["rejected"]:
        if rejected["campaign"] in PRIORITY_ONE and rejected["match"]:
            assert rejected["match"]["eligible"] is False


def test_why_no_ad_answers_200_with_each_campaigns_reason(client, example_catalog):
    body = {"placement": "article-footer", "article": {"topic": "religion", "sentiment": "negative"}}
    r = decide(client, body, query_string={"explain": "1"})
    assert r.status_code == 200
    got = r.get_json()
    assert got["card"] is None and got["decision_id"] is None and got["html"] is None
    reasons = {x["campaign"]: x for x in got["explain"]["rejected"]}
    assert reasons["briefing-morning-newsletter"]["reason"] == "excludes negative sentiment"
    zahid = reasons["zahid-ai-side-projects"]
    assert zahid["reason"] == "excludes negative sentiment"  # refused before its topics were read
    margin = reasons["margin-nonfiction"]["match"]
    assert margin["eligible"] is False and margin["how"] == "no match"
    # the publisher said religion: a reading of the campaign's own section needs the higher floor
    assert margin["confidence"] < margin["floor"] == AGAINST_PUBLISHER
    assert margin["floor_source"] == "publisher" and "against the publisher's topic" in margin["reason"]


def test_house_card_fills_when_nothing_paid_matches(client, example_catalog):
    body = {"placement": "article-footer", "article": {"topic": "religion", "title": "Bishops gather for a synod"}}
    r = decide(client, body)
    assert r.status_code == 200
    assert r.get_json()["campaign"]["id"] == "briefing-morning-newsletter"
    paid = decide(client, {"placement": "article-footer", "article": {"topic": "sport", "title": "Cup final"}})
    assert paid.get_json()["campaign"]["id"] == "matchday-live-football"


SEED_SUMMARY = (
    "Japan is racing to leverage its manufacturing expertise to lead in physical AI, systems that enable robots to "
    "autonomously support human workers. Prime Minister Sanae Takaichi announced plans to use decades of "
    "operational data from manufacturing and service sectors to advance this technology, while Nvidia CEO Jensen "
    "Huang highlighted physical AI as the next innovation wave."
)


@pytest.mark.parametrize("topic", ["artificial-intelligence", ""])
def test_the_seed_article_gets_zahid_host_with_its_agents_hook(client, example_catalog, topic):
    article = {
        "id": "art-37310",
        "title": "Japan’s manufacturing sector and the race for physical AI",
        "summary": SEED_SUMMARY,
        "sentiment": "neutral",
        "source": "japantimes.co.jp",
    }
    if topic:
        article["topic"] = topic
    body = decide(client, {"placement": "article-footer", "article": article}).get_json()
    assert body["campaign"]["id"] == "zahid-ai-side-projects"
    assert body["card"]["hook"] == "reading about agents? ship yours in a single git push."


@pytest.mark.parametrize("secondary", [True, False])
def test_the_answer_spliced_into_its_rendered_template_is_byte_for_byte_the_serialised_one(
    app, load_catalog, secondary
):
    import orjson

    from adserver.api.decision import answer, serialize
    from adserver.events.tracking import Tracker
    from adserver.serving.context import ArticleContext
    from adserver.serving.decision import decide as core_decide

    data = read_file(EXAMPLE_CATALOG)
    data = {"advertisers": [copy.deepcopy(data["advertisers"][0])]}
    card = data["advertisers"][0]["campaigns"][0]["creatives"][0]
    for field in ("display_name", "title", "body", "fine_print"):
        card[field] = HOSTILE + ' "quoted" \\ back, ünïcödé \u2028 ✓'
    card["hook_variants"] = {"artificial-intelligence": HOSTILE}
    if not secondary:
        card.pop("secondary_cta", None)
    load_catalog(data)
    svc = app.extensions["adserver"]
    svc.tracker = Tracker(svc.settings.secret_key, 3600, 86400, clock=lambda: 1_800_000_000.0)
    with app.test_request_context("/v1/decision", method="POST", base_url="https://ads.example:8443"):
        snapshot = svc.catalog.get()
        ctx = ArticleContext.create("article-footer", **AI_ARTICLE["article"])
        outcome = core_decide(ctx, snapshot, ranker=svc.ranker, matcher=svc.matcher)
        assert outcome.decision is not None
        assert (outcome.decision.creative.secondary_cta_text is not None) == secondary
        for _ in range(2):  # rendered, then from the cache
            assert answer(outcome.decision, snapshot) == orjson.dumps(
                serialize(outcome, False, snapshot), option=orjson.OPT_APPEND_NEWLINE
            )
