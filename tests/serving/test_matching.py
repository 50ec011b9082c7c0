"""Matching: the publisher's topic through the taxonomy, keywords in the text, the floor for what is read, and how
each campaign matched (`Fit.how`)."""

from __future__ import annotations

import pytest

from adserver.serving.decision import decide
from adserver.serving.matching import MIN_RELEVANCE, DeclaredTopics, How
from adserver.serving.text import phrase_index, phrases_in
from tests.builders import TODAY, article, campaign, snapshot


def test_priority_orders_only_campaigns_about_the_article():
    ai = campaign("ai", priority=5, targeting={"topics": ["artificial-intelligence"], "keywords": ["ai"]})
    food = campaign("food", priority=0, targeting={"topics": ["food"]})
    out = decide(article(topic="food", title="Ten pasta recipes for winter"), snapshot(ai, food), today=TODAY)
    assert out.decision.campaign.id == "food"


def test_publisher_topic_below_a_targeted_topic_matches_through_the_taxonomy():
    sport = campaign("sport", targeting={"topics": ["sport"]})
    for said in ("football", "Sports", "premier-league"):
        assert decide(article(topic=said), snapshot(sport), today=TODAY).decision.campaign.id == "sport", said
    assert decide(article(topic="politics"), snapshot(sport), today=TODAY).decision is None


def test_keyword_only_campaign_needs_a_keyword_in_the_article():
    c = campaign("kw", targeting={"keywords": ["night-train"]})
    assert decide(article(title="Europe by night train", topic="travel"), snapshot(c), today=TODAY).decision
    assert decide(article(title="Parliament votes", topic="politics"), snapshot(c), today=TODAY).decision is None


def test_min_relevance_is_the_floor_for_topics_read_from_the_text():
    from adserver.model.matcher import ModelMatcher

    matcher = ModelMatcher(None)
    title = "Striker scores twice as the champions win the cup final"
    strict = campaign("strict", targeting={"topics": ["sport"], "min_relevance": 1.0})
    lenient = campaign("lenient", targeting={"topics": ["sport"], "min_relevance": 0.05})
    out = decide(article(title=title), snapshot(strict, lenient), today=TODAY, matcher=matcher, explain=True)
    assert out.decision.campaign.id == "lenient"
    assert not out.fits["strict"].eligible and out.fits["strict"].floor == 1.0
    # explain names whose floor it was: the campaign's own, or the default for a topic read from the text
    assert out.fits["strict"].floor_from == "campaign" and "its own floor" in out.fits["strict"].reason
    default = decide(
        article(title=title),
        snapshot(campaign("plain", targeting={"topics": ["sport"]})),
        today=TODAY,
        matcher=matcher,
        explain=True,
    ).fits["plain"]
    assert (default.floor, default.floor_from) == (MIN_RELEVANCE, "default") and "the default floor" in default.reason
    # what the publisher says needs no floor
    assert decide(article(title=title, topic="sport"), snapshot(strict), today=TODAY, matcher=matcher).decision


@pytest.mark.parametrize(
    ("keywords", "title", "hit"),
    [
        (["robotics", "agents", "physical ai"], "Physical AI agents and robotics in Japan", "agents"),
        (["physical ai"], "AI that is physical", "physical-ai"),  # its words in another order: still a hit
        (["machine learning"], "A machine for learning French", "machine-learning"),
        (["machine learning"], "A learning machine", "machine-learning"),
        (["quantum computing"], "Quantum leaps in cooking", ""),
        (["nvidia"], "Chips", "nvidia"),  # sent by the publisher as one of the article's keywords
    ],
)
def test_a_keyword_matches_when_all_its_words_are_in_the_text_or_the_publisher_sends_it(keywords, title, hit):
    from adserver.serving.matching import keyword_hit

    ctx = article(title=title, keywords=("nvidia",))
    assert keyword_hit(campaign(targeting={"keywords": keywords}), ctx, ctx.text_words()) == hit


def test_a_phrase_is_in_the_text_when_all_its_words_are_in_any_order():
    index = phrase_index(frozenset({"physical-ai", "robotics", "machine-learning", "c#"}))
    assert phrases_in(index, {"ai", "physical", "japan"}) == {"physical-ai"}
    assert phrases_in(index, ["learning", "machine", "robotics", "c#"]) == {"machine-learning", "robotics", "c#"}
    assert phrases_in(index, {"machine"}) == set()


@pytest.mark.parametrize(
    ("ctx", "targeting", "how"),
    [
        ({"topic": "football"}, {"topics": ["sport"]}, How.PUBLISHER_TOPIC),
        ({"title": "Europe by night train"}, {"keywords": ["night train"]}, How.KEYWORD),
        ({"title": "Parliament votes", "topic": "politics"}, {"topics": ["sport"]}, How.NO_MATCH),
        ({"title": "Anything at all"}, {}, How.RUN_OF_SITE),
    ],
)
def test_each_fit_says_how_it_matched(ctx, targeting, how):
    fit = DeclaredTopics().fits(article(**ctx), [campaign("c", targeting=targeting)])[0]
    assert fit.how is how and fit.eligible == (how is not How.NO_MATCH)
    assert fit.reason  # every kind of fit has its words


def test_a_miss_read_from_the_text_names_what_the_article_is_about():
    from adserver.model.matcher import ModelMatcher

    matcher = ModelMatcher(None)
    title = "Shares tumble as the central bank raises interest rates; bond markets sell off"
    cycling = campaign("cycling", targeting={"topics": ["cycling"]})
    miss = decide(article(title=title), snapshot(cycling), today=TODAY, matcher=matcher, explain=True).fits["cycling"]
    about, p = miss.reads_as
    assert not miss.eligible and about not in ("", "cycling") and p > miss.confidence
    assert miss.reason.startswith(f"the text reads as '{about}' ({p:.2f}); as 'cycling' only")
    # a decision (no explain) keeps no such words: misses are not even built
    assert "cycling" not in decide(article(title=title), snapshot(cycling), today=TODAY, matcher=matcher).fits


def test_a_reading_against_the_publishers_section_needs_the_higher_floor():
    from adserver.model.matcher import ModelMatcher
    from adserver.serving.matching import AGAINST_PUBLISHER

    matcher = ModelMatcher(None)
    title = "Shares tumble as the central bank raises interest rates; bond markets sell off"
    business = campaign("business", targeting={"topics": ["business"]})
    unsaid = decide(article(title=title), snapshot(business), today=TODAY, matcher=matcher, explain=True)
    said = decide(
        article(title=title, topic="football"), snapshot(business), today=TODAY, matcher=matcher, explain=True
    )
    free, against = unsaid.fits["business"], said.fits["business"]
    assert (free.floor, free.floor_from) == (MIN_RELEVANCE, "default")
    assert (against.floor, against.floor_from) == (AGAINST_PUBLISHER, "publisher")
    assert against.eligible == (against.confidence >= AGAINST_PUBLISHER)
    assert "against the publisher's topic" in against.reason


def test_a_campaign_with_topics_also_matches_on_its_own_keywords():
    from adserver.model.matcher import ModelMatcher

    pasta = campaign("pasta", targeting={"topics": ["food", "cooking"], "keywords": ["pasta", "carbonara", "recipe"]})
    title = "Our food writer shows how to make a silky Roman pasta with four ingredients"
    out = decide(article(title=title), snapshot(pasta), today=TODAY, matcher=ModelMatcher(None), explain=True)
    assert out.decision.campaign.id == "pasta"
    assert (out.fits["pasta"].how, out.fits["pasta"].topic) == (How.KEYWORD, "pasta")
    # neither a topic nor one of its keywords: still no match
    other = "Parliament votes on the budget after a long night of debate"
    assert decide(article(title=other), snapshot(pasta), today=TODAY, matcher=ModelMatcher(None)).decision is None
