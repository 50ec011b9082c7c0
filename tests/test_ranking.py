"""The overlap ranker and the decision core's ordering."""

from __future__ import annotations

import random

from adserver.catalog import CatalogSnapshot
from adserver.decision import decide
from adserver.ranking import OverlapRanker
from tests.test_targeting import TODAY, campaign, ctx


def rank(campaigns, context):
    snap = CatalogSnapshot.build(1, tuple(campaigns))
    return [s.campaign.id for s in OverlapRanker().rank(context, campaigns, snap)]


def test_topic_match_beats_a_single_keyword_hit():
    by_topic = campaign("topic", targeting={"topics": ["sport"]})
    by_keyword = campaign("kw", targeting={"keywords": ["football"]})
    assert rank([by_keyword, by_topic], ctx(topic="sport", keywords=["football"]))[0] == "topic"


def test_more_keyword_hits_rank_higher_all_else_equal():
    one = campaign("one", targeting={"keywords": ["ai"]})
    two = campaign("two", targeting={"keywords": ["ai", "robots"]})
    assert rank([one, two], ctx(keywords=["ai", "robots"])) == ["two", "one"]


def test_title_words_count_when_keywords_are_missing():
    c = campaign("c", targeting={"keywords": ["solar"]})
    other = campaign("o", targeting={"keywords": ["football"]})
    assert rank([other, c], ctx(title="Solar panels on every roof by 2030"))[0] == "c"


def test_untargeted_campaign_wins_only_when_nothing_relevant():
    house = campaign("house")
    sport = campaign("sport", targeting={"topics": ["sport"]})
    snap = CatalogSnapshot.build(1, (house, sport))
    assert decide(ctx(topic="sport"), snap, today=TODAY).decision.campaign.id == "sport"
    assert decide(ctx(topic="gardening"), snap, today=TODAY).decision.campaign.id == "house"


def test_targeted_campaign_without_relevance_does_not_fill():
    sport = campaign("sport", targeting={"topics": ["sport"]})
    out = decide(ctx(topic="gardening"), CatalogSnapshot.build(1, (sport,)), today=TODAY, explain=True)
    assert out.decision is None
    assert out.rejected[0].reason == "no relevance to this article"


def test_higher_priority_tier_wins_over_better_relevance():
    relevant = campaign("relevant", targeting={"topics": ["sport"], "keywords": ["football"]})
    premium = campaign("premium", priority=5, targeting={"keywords": ["football"]})
    out = decide(ctx(topic="sport", keywords=["football"]), CatalogSnapshot.build(1, (relevant, premium)), today=TODAY)
    assert out.decision.campaign.id == "premium"


def test_creative_with_a_hook_for_the_topic_is_preferred():
    from dataclasses import replace

    c = campaign("c", targeting={"topics": ["sport"]})
    generic = c.creatives[0]
    fitted = replace(generic, id="fitted", hook_variants={"sport": "after the match?"})
    c = replace(c, creatives=(generic, fitted))
    for seed in range(5):
        d = decide(ctx(topic="Sport"), CatalogSnapshot.build(1, (c,)), today=TODAY, rng=random.Random(seed)).decision
        assert (d.creative.id, d.hook) == ("fitted", "after the match?")


def test_indexed_path_decides_exactly_like_the_full_scan():
    """The hot path's indexes skip campaigns; they must never change the outcome."""
    import itertools

    from tests.conftest import EXAMPLE_CATALOG
    from tests.test_catalog_snapshot import snapshot_from_file

    snap = snapshot_from_file(EXAMPLE_CATALOG)
    topics = ["artificial-intelligence", "sport", "politics", "travel", "health", "gardening", "", "climate"]
    keywords = [[], ["agents"], ["football", "layoffs"], ["solar", "crash"], ["recipes"], ["strike"]]
    titles = ["", "Plane crash near the airport", "Solar roofs and heat pumps", "The election results are in"]
    for topic, kws, title, sentiment, lang in itertools.product(
        topics, keywords, titles, ["", "negative"], ["", "en", "de"]
    ):
        if not (topic or kws or title):
            continue
        c = ctx(topic=topic, keywords=kws, title=title, sentiment=sentiment, language=lang)
        fast = decide(c, snap, today=TODAY, rng=random.Random(1))
        full = decide(c, snap, today=TODAY, rng=random.Random(1), explain=True)
        pick = lambda o: o.decision and (o.decision.campaign.id, o.decision.creative.id)  # noqa: E731
        assert pick(fast) == pick(full), (topic, kws, title, sentiment, lang)
