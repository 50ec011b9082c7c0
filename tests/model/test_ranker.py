"""The learned ranker: ordering, missing fields, hostile text, hook variants, explanations."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import pytest

from adserver.model.catalogs import snapshot_from_file
from adserver.model.evaluate import eval_catalog
from adserver.model.matcher import ModelMatcher
from adserver.model.ranker import MAX_RANKED, ModelRanker
from adserver.model.train import fit
from adserver.serving.context import ArticleContext
from adserver.serving.decision import decide
from adserver.serving.snapshot import CatalogSnapshot
from tests.builders import topical_campaign as campaign
from tests.conftest import EXAMPLE_CATALOG


@pytest.fixture(scope="module")
def snapshot():
    return eval_catalog()


@pytest.fixture(scope="module")
def model(snapshot):
    return fit(snapshot.campaigns).model


@pytest.fixture
def ranker(model):
    return ModelRanker(model)


@pytest.fixture(scope="module")
def matcher(model):
    return ModelMatcher(model)


def ctx(**article) -> ArticleContext:
    return ArticleContext.create("article-footer", **article)


def test_article_without_topic_field_goes_to_the_campaign_targeting_its_topic(ranker, snapshot):
    article = ctx(title="Striker scores twice as United win the league cup final")
    assert ranker.rank(article, snapshot.campaigns, snapshot)[0].campaign.id == "eval-sport"


def test_campaign_targeting_the_articles_topic_never_ranks_below_one_that_does_not(model):
    same_text = "An offer for readers."
    better, worse = campaign("b", ["sport"], description=same_text), campaign("w", ["politics"], description=same_text)
    snap = CatalogSnapshot.build(1, (better, worse))
    for title in ("Tennis final goes to five sets", "Budget vote in parliament", ""):
        for topic in ("sport", ""):
            ranked = ModelRanker(model).rank(ctx(title=title, topic=topic), snap.campaigns, snap)
            scores = {s.campaign.id: s.score for s in ranked}
            if topic == "sport" or "Tennis" in title:
                assert scores["b"] >= scores["w"], (title, topic, scores)


def test_keyword_hit_never_ranks_below_the_same_campaign_without_it(model):
    hit, miss = campaign("hit", ["tech"], ["broadband"]), campaign("miss", ["tech"], ["satellite"])
    snap = CatalogSnapshot.build(1, (hit, miss))
    ranked = ModelRanker(model).rank(ctx(title="Broadband speeds double", keywords=["broadband"]), snap.campaigns, snap)
    assert [s.campaign.id for s in ranked] == ["hit", "miss"]
    assert ranked[0].parts["keywords"] > 0 and "keywords" not in ranked[1].parts


@pytest.mark.parametrize(
    "article",
    [
        {},
        {"title": "Central bank raises interest rates"},
        {"summary": "Shares fell sharply on Wall Street."},
        {"keywords": ["economy", "inflation"]},
        {"topic": "business"},
        {"topic": "a-topic-nobody-targets"},
    ],
    ids=["nothing", "title-only", "summary-only", "keywords-only", "topic-only", "unknown-topic"],
)
def test_contexts_with_missing_fields_get_ranked_scores(ranker, snapshot, article):
    ranked = ranker.rank(ctx(**article), snapshot.campaigns, snapshot)
    assert len(ranked) == len(snapshot.campaigns)
    assert all(s.score >= 0 and math.isfinite(s.score) for s in ranked)
    assert ranked == sorted(ranked, key=lambda s: -s.score)


def test_topic_field_alone_picks_the_campaign_targeting_it(ranker, snapshot):
    assert ranker.rank(ctx(topic="business"), snapshot.campaigns, snapshot)[0].campaign.id == "eval-business"


@pytest.mark.parametrize(
    "article",
    [
        {"keywords": [f"kw{i}" for i in range(5000)] + ["football"], "title": "x" * 100000},
        {"title": "Ünïcödé 🚀 ☃ 北京 — «football» ⚽", "summary": "\u202e\u0000\ufeff zero-width\u200b"},
        {"title": "", "summary": "", "keywords": ["", " ", "---"], "topic": ""},
        {"summary": "goal " * 50000},
    ],
    ids=["huge", "unicode", "empty-strings", "repetitive"],
)
def test_hostile_text_is_scored_without_error(ranker, snapshot, article):
    ranked = ranker.rank(ctx(**article), snapshot.campaigns, snapshot)
    assert ranked and all(math.isfinite(s.score) and s.score >= 0 for s in ranked)


def test_parts_sum_to_the_score_and_reasons_name_them(ranker, snapshot):
    best = ranker.rank(ctx(title="Album tops the charts", keywords=["music"]), snapshot.campaigns, snapshot)[0]
    assert best.campaign.id == "eval-entertainment"
    assert sum(best.parts.values()) == pytest.approx(best.score, abs=1e-3)
    text = " ".join(best.reasons)
    for words in ("topic match", "text similarity", "keywords hit", "music", "priority tier"):
        assert words in text


def test_hook_variant_fits_an_article_without_a_topic_field():
    snap = snapshot_from_file(EXAMPLE_CATALOG)
    r = ModelRanker(fit(snap.campaigns).model)
    matcher = ModelMatcher(r.models)
    article = ctx(
        title="Humanoid robots learn to walk with a new robot brain", summary="Robotics start-up shows a robot."
    )
    out = decide(article, snap, ranker=r, matcher=matcher, rng=random.Random(0))
    assert out.decision.hook_variant == "robotics"
    assert out.decision.hook.startswith("building the brain for a robot?")


def test_publisher_topic_matching_a_variant_keeps_that_variant(model):
    snap = snapshot_from_file(EXAMPLE_CATALOG)
    r = ModelRanker(fit(snap.campaigns).model)
    out = decide(ctx(title="Robots", topic="programming"), snap, ranker=r, rng=random.Random(0))
    assert out.decision.hook_variant == "programming"


def test_higher_priority_tier_survives_the_candidate_cap(model):
    many = tuple(campaign(f"c{i:04d}", ["sport"], ["football"]) for i in range(MAX_RANKED + 50))
    low = campaign("zz-priority", ["politics"], priority=5)
    snap = CatalogSnapshot.build(1, (*many, low))
    ranked = ModelRanker(model).rank(ctx(title="Football"), snap.campaigns, snap)
    assert len(ranked) == MAX_RANKED
    assert "zz-priority" in {s.campaign.id for s in ranked}


def test_unrelated_targeted_campaign_gets_no_relevance(model):
    snap = CatalogSnapshot.build(1, (campaign("pets", ["pets"], ["dogs", "cats"]),))
    ranked = ModelRanker(model).rank(ctx(title="Striker scores in cup final"), snap.campaigns, snap)
    assert ranked[0].score == 0


def test_new_catalog_snapshot_rebuilds_the_campaign_index(model, snapshot):
    r = ModelRanker(model)
    r.rank(ctx(title="Football"), snapshot.campaigns, snapshot)
    renamed = replace(snapshot.campaigns[0], description="Football streaming")
    snap2 = CatalogSnapshot.build(2, (renamed, *snapshot.campaigns[1:]))
    r.rank(ctx(title="Football"), snap2.campaigns, snap2)
    assert r._index.key[0] == 2


def test_impression_of_a_topic_less_article_is_counted_under_the_topic_the_model_reads(ranker, snapshot, matcher):
    out = decide(
        ctx(title="Striker scores twice as United win the league cup final"), snapshot, ranker=ranker, matcher=matcher
    )
    assert out.decision.context.topic == "sport"
    assert out.decision.context.title.startswith("Striker")


@pytest.mark.parametrize(
    ("sent", "counted"),
    [("football", "football"), ("uk-politics", "politics"), ("+1+1", "other"), ("made-up-section", "other")],
)
def test_an_impression_is_counted_under_the_taxonomy_node_of_the_publishers_topic(
    ranker, snapshot, matcher, sent, counted
):
    out = decide(ctx(title="Striker scores twice", topic=sent), snapshot, ranker=ranker, matcher=matcher)
    assert out.decision.context.topic == counted  # no free text from the public reaches a report


def test_without_a_publisher_topic_an_impression_is_counted_under_what_the_model_reads(ranker, snapshot, matcher):
    out = decide(ctx(title="Striker scores twice in the cup final"), snapshot, ranker=ranker, matcher=matcher)
    assert out.decision.context.topic in {"sport", "football"}


def test_reasons_in_words_are_built_only_when_explaining(ranker, snapshot, matcher):
    article = ctx(title="Album tops the charts")
    assert all(not s.reasons for s in decide(article, snapshot, ranker=ranker, matcher=matcher).ranked)
    explained = decide(article, snapshot, ranker=ranker, matcher=matcher, explain=True).ranked
    assert explained[0].reasons and explained[0].parts == ranker.rank(article, snapshot.campaigns, snapshot)[0].parts
    # One number per match: the ranker names its own label without a second topic confidence beside the match's.
    assert not any("%)" in r and "labels it" in r for s in explained for r in s.reasons)
    assert any("the ranking model labels it" in r for r in explained[0].reasons)
