"""Relevance: the overlap score, its parts, and how ranking picks among eligible campaigns."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import date

import pytest

from adserver.serving.decision import decide
from adserver.serving.ranking import OverlapRanker
from tests.builders import article, campaign, creative, snapshot


def ranked_ids(ctx, *campaigns):
    return [s.campaign.id for s in OverlapRanker().rank(ctx, campaigns, snapshot(*campaigns))]


def test_topic_match_beats_a_keyword_only_match():
    by_topic = campaign("by-topic", targeting={"topics": ["climate"]})
    by_keyword = campaign("by-keyword", targeting={"keywords": ["solar"]})
    ctx = article(topic="climate", keywords=["solar"])
    assert ranked_ids(ctx, by_keyword, by_topic)[0] == "by-topic"


def test_more_keyword_hits_rank_higher_all_else_equal():
    one = campaign("one", targeting={"keywords": ["solar", "wind"]})
    two = campaign("two", targeting={"keywords": ["solar", "batteries"]})
    ctx = article(keywords=["solar", "batteries", "grid"])
    assert ranked_ids(ctx, one, two) == ["two", "one"]


def test_title_mention_counts_less_than_a_keyword():
    in_keywords = campaign("in-keywords", targeting={"keywords": ["heat-pumps"]})
    in_title = campaign("in-title", targeting={"keywords": ["insulation"]})
    ctx = article(title="Why insulation matters more than ever", keywords=["heat pumps"])
    assert ranked_ids(ctx, in_title, in_keywords) == ["in-keywords", "in-title"]


def test_score_is_the_sum_of_its_parts_with_reasons():
    c = campaign(targeting={"topics": ["sport"], "keywords": ["tennis", "grand-slam"]})
    [scored] = OverlapRanker().rank(article(topic="sport", keywords=["tennis"]), [c], snapshot(c))
    assert scored.parts == {"topic": 3.0, "keywords": 1.0}
    assert scored.score == sum(scored.parts.values())
    assert "targets topic 'sport'" in scored.reasons


def test_untargeted_campaign_loses_to_a_relevant_one():
    anywhere = campaign("anywhere")
    relevant = campaign("relevant", targeting={"keywords": ["tennis"]})
    outcome = decide(article(topic="sport", keywords=["tennis"]), snapshot(anywhere, relevant))
    assert outcome.decision.campaign.id == "relevant"


def test_untargeted_campaign_wins_when_nothing_relevant_is_eligible():
    anywhere = campaign("anywhere")
    elsewhere = campaign("elsewhere", targeting={"topics": ["gaming"]})
    outcome = decide(article(topic="gardening"), snapshot(anywhere, elsewhere))
    assert outcome.decision.campaign.id == "anywhere"


def test_irrelevant_targeted_campaign_is_not_chosen():
    outcome = decide(article(topic="gardening"), snapshot(campaign(targeting={"topics": ["gaming"]})), explain=True)
    assert outcome.decision is None
    assert [r.reason for r in outcome.rejected] == [
        "not about its targeting: publisher topic 'gardening'; targets gaming"
    ]


def test_higher_priority_tier_wins_over_a_better_score():
    high = campaign("high", priority=2, targeting={"keywords": ["tennis"]})
    low = campaign("low", priority=1, targeting={"topics": ["sport"], "keywords": ["tennis"]})
    assert decide(article(topic="sport", keywords=["tennis"]), snapshot(low, high)).decision.campaign.id == "high"


@pytest.mark.parametrize("order", [("a", "b"), ("b", "a")])
def test_equal_scores_break_ties_by_campaign_id(order):
    cs = [campaign(i, targeting={"topics": ["sport"]}) for i in order]
    assert ranked_ids(article(topic="sport"), *cs) == ["a", "b"]


def test_topic_variant_hook_is_chosen_for_its_topic():
    c = campaign(
        targeting={"topics": ["robotics"]},
        creatives=(creative("c1", hook="default hook", hook_variants={"robotics": "robot hook"}),),
    )
    d = decide(article(topic="Robotics"), snapshot(c)).decision
    assert (d.hook_variant, d.hook) == ("robotics", "robot hook")


def test_title_words_count_when_keywords_are_missing():
    solar = campaign("solar", targeting={"keywords": ["solar"]})
    other = campaign("other", targeting={"keywords": ["football"]})
    assert ranked_ids(article(title="Solar panels on every roof by 2030"), other, solar)[0] == "solar"


def test_creative_with_a_hook_for_the_topic_is_preferred_over_a_generic_one():
    c = campaign("c", targeting={"topics": ["sport"]})
    generic = c.creatives[0]
    fitted = replace(generic, id="fitted", hook_variants={"sport": "after the match?"})
    c = replace(c, creatives=(generic, fitted))
    for seed in range(5):
        d = decide(article(topic="Sport"), snapshot(c), rng=random.Random(seed)).decision
        assert (d.creative.id, d.hook) == ("fitted", "after the match?")


def test_indexed_path_decides_exactly_like_the_full_scan():
    """The hot path's indexes skip campaigns; they must never change the outcome."""
    from tests.catalog.test_store import snapshot_from_file
    from tests.conftest import EXAMPLE_CATALOG

    snap = snapshot_from_file(EXAMPLE_CATALOG)
    today = date(2026, 11, 25)
    topics = ["artificial-intelligence", "sport", "politics", "travel", "health", "gardening", "", "climate"]
    keywords = [[], ["agents"], ["football", "layoffs"], ["solar", "crash"], ["recipes"], ["strike"]]
    titles = ["", "Plane crash near the airport", "Solar roofs and heat pumps", "The election results are in"]
    for topic, kws, title, sentiment, lang in itertools.product(
        topics, keywords, titles, ["", "negative"], ["", "en", "de"]
    ):
        if not (topic or kws or title):
            continue
        c = article(topic=topic, keywords=kws, title=title, sentiment=sentiment, language=lang)
        fast = decide(c, snap, today=today, rng=random.Random(1))
        full = decide(c, snap, today=today, rng=random.Random(1), explain=True)
        pick = lambda o: o.decision and (o.decision.campaign.id, o.decision.creative.id)  # noqa: E731
        assert pick(fast) == pick(full), (topic, kws, title, sentiment, lang)
