"""The decision core (`adserver.serving.decision.decide`): one path, whatever the budget gate and the ranker."""

from __future__ import annotations

from dataclasses import replace

import redis as redis_lib

from adserver.events.pacing import RedisBudget
from adserver.serving.budget import Choice, Unlimited
from adserver.serving.decision import decide
from adserver.serving.ranking import PlainRanker, Scored
from adserver.serving.snapshot import CatalogSnapshot, Targeting
from tests.builders import TODAY, CountingRanker, campaign, snapshot, sport_article
from tests.builders import article as ctx


def cpm(cid: str, total: float | None = None, **kw):
    return replace(
        campaign(cid, targeting={"topics": ["sport"]}, **kw), pricing_model="cpm", price=10.0, total_budget=total
    )


def test_without_budgets_readers_of_one_article_still_share_its_plan():
    """The plan is the decision's per-article half, whatever the gate (`adserver decide` used none)."""
    snap, ranker = snapshot(campaign("s", targeting={"topics": ["sport"]})), CountingRanker()
    first = decide(sport_article(reader="r1", id="a1"), snap, ranker=ranker, budget=Unlimited(), today=TODAY)
    second = decide(sport_article(reader="r2", id="a1"), snap, ranker=ranker, budget=Unlimited(), today=TODAY)
    assert ranker.prepared == 1
    assert first.decision.campaign.id == second.decision.campaign.id == "s"
    assert not first.recorded  # the unlimited gate queues no event: the caller emits it


class Reversed(PlainRanker):
    """A ranker that only ranks: the rest of the protocol comes from PlainRanker."""

    name = "reversed"

    def rank(self, ctx, campaigns, snapshot, explain=True):
        return [Scored(c, float(i)) for i, c in enumerate(campaigns)][::-1]


def test_a_ranker_that_only_ranks_decides_through_the_same_path():
    a, b = campaign("a", targeting={"topics": ["sport"]}), campaign("b", targeting={"topics": ["sport"]})
    snap = CatalogSnapshot.build(1, (a, b))
    for explain in (False, True):
        out = decide(sport_article(), snap, ranker=Reversed(), today=TODAY, explain=explain)
        assert out.decision.campaign.id == "b" and out.ranker == "reversed"
        assert out.decision.hook_variant == out.decision.creative.hook_for("sport")[0]


class Refusing:
    """A gate that refuses the best contender: the next one wins, the refusal is explained."""

    def choose(self, campaigns, impression=None, reader=""):
        return (
            Choice(1, {campaigns[0].id: "refused by the gate"}, False)
            if len(campaigns) > 1
            else Choice(None, {}, False)
        )


def test_the_gate_picks_among_the_ranked_contenders_and_its_refusals_are_reported():
    a, b = cpm("a", priority=1), cpm("b")
    out = decide(sport_article(), CatalogSnapshot.build(1, (a, b)), budget=Refusing(), today=TODAY)
    assert out.decision.campaign.id == "b"
    assert [(r.campaign_id, r.reason) for r in out.rejected] == [("a", "refused by the gate")]


def test_higher_priority_tier_beats_higher_relevance(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    targeting = Targeting.from_dict({"topics": ["sport"], "keywords": ["football", "league"]})
    strong = replace(cpm("strong", total=10.0), targeting=targeting, priority=0)
    weak = cpm("weak", total=10.0, priority=1)
    snap = CatalogSnapshot.build(1, (strong, weak))
    out = decide(ctx(topic="sport", keywords=["football", "league"]), snap, budget=RedisBudget(conn), today=TODAY)
    scores = {s.campaign.id: s.score for s in out.ranked}
    assert scores["strong"] > scores["weak"]
    assert out.decision.campaign.id == "weak"
