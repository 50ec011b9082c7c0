"""Per-article plans and parsed bodies: reused for every reader of an article, never stale."""

from __future__ import annotations

import copy
from collections import Counter

import redis as redis_lib

from adserver.events.pacing import RedisBudget
from adserver.model.feedback import MemoryClickStats
from adserver.model.matcher import ModelMatcher
from adserver.model.ranker import ModelRanker
from adserver.model.train import fit
from adserver.serving.context import ArticleContext
from adserver.serving.decision import decide
from adserver.serving.plans import plan_cache
from adserver.serving.snapshot import CatalogSnapshot
from tests.builders import AI_ARTICLE, TODAY, CountingRanker, campaign, post_decision, snapshot, sport_article


def gate(redis_url) -> RedisBudget:
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    return RedisBudget(conn)


def test_readers_of_one_article_share_its_plan(redis_url):
    snap, ranker, budget = snapshot(campaign("s", targeting={"topics": ["sport"]})), CountingRanker(), gate(redis_url)
    first = decide(sport_article(reader="r1", id="a1"), snap, ranker=ranker, budget=budget, today=TODAY)
    second = decide(sport_article(reader="r2", id="a1"), snap, ranker=ranker, budget=budget, today=TODAY)
    assert ranker.prepared == 1
    assert first.decision.campaign.id == second.decision.campaign.id == "s"
    assert first.decision.id != second.decision.id  # the decision itself is each reader's own
    assert second.decision.context.reader == "r2"
    decide(sport_article(keywords=["final"]), snap, ranker=ranker, budget=budget, today=TODAY)
    assert ranker.prepared == 2  # other content, other plan


def test_plans_follow_the_day_the_exclusions_and_the_catalog(redis_url):
    c = campaign("s", targeting={"topics": ["sport"]})
    snap, ranker, budget = snapshot(c), CountingRanker(), gate(redis_url)
    decide(sport_article(), snap, ranker=ranker, budget=budget, today=TODAY)
    out = decide(
        sport_article(), snap, ranker=ranker, budget=budget, today=TODAY, exclude_advertisers=frozenset({"adv"})
    )
    assert out.decision is None and len(snap.derived(plan_cache)) == 2  # the excluded sponsor's plan is another plan
    paused = CatalogSnapshot.build(2, ())  # a new catalog version starts with no plans
    assert decide(sport_article(), paused, ranker=ranker, budget=budget, today=TODAY).decision is None
    ended = snapshot(campaign("s", targeting={"topics": ["sport"]}, ends_on=TODAY))
    assert decide(sport_article(), ended, ranker=ranker, budget=budget, today=TODAY).decision is not None
    tomorrow = TODAY.replace(day=TODAY.day + 1)
    assert decide(sport_article(), ended, ranker=ranker, budget=budget, today=tomorrow).decision is None


def test_a_newly_activated_model_is_not_served_a_stale_plan(redis_url):
    sport = campaign("sport", targeting={"topics": ["sport"]})
    tech = campaign("tech", targeting={"topics": ["technology"]})
    snap = snapshot(sport, tech)
    holder = {"model": fit(snap.campaigns).model}

    class Holder:
        def get(self):
            return holder["model"]

    ranker, budget = ModelRanker(Holder()), gate(redis_url)
    matcher = ModelMatcher(Holder())
    ctx = ArticleContext.create("article-footer", title="Striker scores twice in the cup final")
    assert decide(ctx, snap, ranker=ranker, matcher=matcher, budget=budget, today=TODAY).decision.campaign.id == "sport"
    # A model that reads everything as technology: the plan built for the old model must not answer.
    swapped = fit((campaign("sport", targeting={"topics": ["technology"]}), tech)).model
    swapped.version = "other"
    holder["model"] = swapped
    plan_keys_before = len(snap.derived(plan_cache))
    decide(ctx, snap, ranker=ranker, matcher=matcher, budget=budget, today=TODAY)
    assert len(snap.derived(plan_cache)) == plan_keys_before + 1


def test_exploration_still_draws_per_reader_with_a_cached_plan(redis_url):
    """Two campaigns that read the same: with click data the winner is drawn per decision, not per plan."""
    snap = CatalogSnapshot.build(
        1,
        (
            campaign("a", targeting={"topics": ["sport"], "keywords": ["football"]}),
            campaign("b", targeting={"topics": ["sport"], "keywords": ["football"]}),
        ),
    )
    stats = MemoryClickStats()
    stats.add("sport", "a", impressions=5000, clicks=100)  # b has never been shown: it must get a trial
    ranker, budget = ModelRanker(fit(snap.campaigns).model, click_stats=stats, seed=2), gate(redis_url)
    ctx = ArticleContext.create("article-footer", title="Football cup final", topic="sport")
    won = Counter(decide(ctx, snap, ranker=ranker, budget=budget, today=TODAY).decision.campaign.id for _ in range(300))
    assert len(snap.derived(plan_cache)) == 1
    assert 10 < won["b"] < 290


def test_identical_bodies_are_parsed_once_and_bad_ones_never_remembered(app, client, example_catalog):
    parser = app.blueprints["decision"].ARGUMENTS_PARSER
    body = copy.deepcopy(AI_ARTICLE)
    body["article"]["id"] = "parsed-once"  # a body no other test sends (the parser lives as long as the process)
    hits = parser.memo.hits
    assert post_decision(client, body).status_code == 200
    assert post_decision(client, body).status_code == 200
    assert parser.memo.hits == hits + 1  # the second one
    bad = {"placement": "article-footer", "article": {"keywords": "not-a-list", "id": "parsed-once"}}
    for _ in range(2):
        r = post_decision(client, bad)
        assert r.status_code == 400 and "article.keywords" in r.get_json()["error"]["fields"]
    assert parser.memo.hits == hits + 1  # the bad body was parsed (and refused) both times


def test_a_remembered_body_still_takes_each_readers_header(client, example_catalog, services):
    ids = []
    for reader in ("reader-1", "reader-2"):
        r = post_decision(client, AI_ARTICLE, headers={"X-Reader-Id": reader})
        assert r.status_code == 200
        ids.append(r.get_json()["decision_id"])
    assert ids[0] != ids[1]
    # The shared parsed body was not written to: a reader-less request carries no reader.
    assert "reader" not in AI_ARTICLE["article"]


def test_plan_cache_is_bounded_by_articles_and_by_eligible_campaigns():
    from adserver.infra.memo import LRU

    lru = LRU(size=3, max_weight=10)
    for k, w in (("a", 4), ("b", 4), ("c", 1)):
        lru.put(k, k.upper(), w)
    assert lru.get("a") == "A"  # now the most recent: "b" is the oldest
    lru.put("d", "D", 4)  # 13 > 10: the least recently used goes first
    assert lru.get("b") is None and lru.get("a") == "A" and lru.weight == 9
    lru.put("e", "E", 1)  # 4 entries > 3
    assert len(lru) == 3 and lru.get("c") is None
