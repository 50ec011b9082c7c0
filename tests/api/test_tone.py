"""The tone read where no sentiment is sent, through the decision API with the example catalog (six of its
campaigns, the house newsletter among them, exclude negative tone)."""

from __future__ import annotations

import pytest

from adserver.serving import safety

SOURDOUGH = {
    "title": "Why your sourdough fails, and the fix",
    "summary": "Dense loaves and flat crumbs come from three common mistakes.",
}
STRIKER = {"title": "The striker who terrorises defences: how a teenager became the league's top scorer"}
COMEDIAN = {"title": "Comedian cancels the rest of his tour after losing his voice"}
OUTBREAK = {  # written for this test: harm to people, on a food page
    "title": "Food poisoning outbreak at a wedding leaves sixty guests in hospital",
    "summary": "Health inspectors have closed the caterer's kitchen while samples are tested.",
}
CENTRAL_BANK = {
    "title": "Central bank raises interest rates again as inflation bites",
    "summary": "Markets fell after the announcement.",
}
FOOD_CARDS = {"pantry-recipe-boxes", "briefing-morning-newsletter"}  # the food sponsor, else the house card


def decide(client, article: dict, explain: bool = True):
    r = client.post(
        f"/v1/decision{'?explain=1' if explain else ''}", json={"placement": "article-footer", "article": article}
    )
    return r


def sentiment_rejections(body: dict) -> dict[str, str]:
    return {r["campaign"]: r["reason"] for r in body["explain"]["rejected"] if "sentiment" in r["reason"]}


@pytest.mark.parametrize("topic", ["food", None])
def test_the_sourdough_article_gets_a_card(client, example_catalog, topic):
    article = {**SOURDOUGH, **({"topic": topic} if topic else {})}
    body = decide(client, article).get_json()
    read = body["explain"]["article"]
    assert read["sentiment_source"] == "read" and read["sentiment"] != "negative", read
    assert read["sentiment_confidence"]["negative"] < safety.TONE_FLOOR == read["sentiment_floor"]
    assert sentiment_rejections(body) == {}
    assert body["campaign"]["id"] in FOOD_CARDS
    plain = decide(client, article, explain=False)
    assert plain.status_code == 200 and plain.get_json()["campaign"]["id"] in FOOD_CARDS


@pytest.mark.parametrize(("article", "topic"), [(STRIKER, "sport"), (STRIKER, None), (COMEDIAN, None)])
def test_dark_words_exclude_no_campaign(client, example_catalog, article, topic):
    body = decide(client, {**article, **({"topic": topic} if topic else {})}).get_json()
    assert sentiment_rejections(body) == {}
    assert body["campaign"] is not None


def test_the_comedian_article_keeps_the_concert_sponsor(client, example_catalog):
    body = decide(client, {**COMEDIAN, "topic": "entertainment"}).get_json()
    assert sentiment_rejections(body) == {}
    assert body["campaign"]["id"] == "encore-concert-tickets"


@pytest.mark.parametrize("topic", ["food", None])
def test_news_of_harm_excludes_the_campaigns_that_exclude_negative_tone(client, example_catalog, topic):
    article = {**OUTBREAK, **({"topic": topic} if topic else {})}
    body = decide(client, article).get_json()
    read = body["explain"]["article"]
    assert read["sentiment"] == "negative" and read["sentiment_confidence"]["negative"] >= read["sentiment_floor"]
    rejected = sentiment_rejections(body)
    assert rejected["briefing-morning-newsletter"] == "excludes negative sentiment (read from the text)"
    if topic:
        assert rejected["pantry-recipe-boxes"] == "excludes negative sentiment (read from the text)"
    plain = decide(client, article, explain=False)
    assert plain.status_code == 204 or plain.get_json()["campaign"]["id"] not in FOOD_CARDS


def test_the_central_bank_article_keeps_off_the_cards_that_exclude_negative_tone(client, example_catalog):
    body = decide(client, {**CENTRAL_BANK, "topic": "business"}).get_json()
    assert body["explain"]["article"]["sentiment"] == "negative"
    rejected = sentiment_rejections(body)
    assert {"ledgerly-index-investing", "briefing-morning-newsletter"} <= rejected.keys()
    assert body["campaign"] is None or body["campaign"]["id"] not in rejected
