"""Per-article work, done once per article instead of once per reader.

Every reader of an article page asks for a card with the same context. Which campaigns are eligible, how
relevant each one is, the topic the impression is counted under and the hook variant that fits do not
change between those readers; only the budget gate, the CTR exploration draw, the creative rotation and
the decision's own id and URLs do. A `Plan` holds the first kind; `decide` redoes only the second.

Plans live on the catalog snapshot (a new catalog starts empty) and are keyed by the article's content,
the day (campaign dates), the advertisers excluded by the page, and the ranker's model: activating a model
or changing the catalog can never serve a stale ranking.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..infra.memo import LRU
from .context import ArticleContext
from .eligibility import Rejection
from .matching import Fit
from .ranking import Scored
from .snapshot import Campaign, CatalogSnapshot

PLAN_CACHE_SIZE = 2048  # articles per process and catalog version: a news site's hot set
# Plans grow with their eligible campaigns, so memory is bounded by rows (eligible campaigns over all
# plans), not only by articles: a catalog of thousands of campaigns keeps fewer articles, not more memory.
PLAN_CACHE_ROWS = 200_000


@dataclass(frozen=True)
class Plan:
    """What `decide` knows about one article before it sees the reader. A cached plan keeps only what
    matched; an explain plan (never cached) also keeps every campaign refused and every miss, with why."""

    ctx: ArticleContext  # the article as read (tone, categories); its reader, id and url are not used
    eligible: list[Campaign]
    prepared: Any  # the ranker's per-article state (`Ranker.prepare`); None when nothing is eligible
    counted_topic: str  # the topic impressions of this article are recorded under
    fits: dict[str, Fit] = field(default_factory=dict)  # campaign id -> how it matches (with misses: all)
    rejected: tuple[Rejection, ...] = ()  # explain only: the hard rules' refusals and the misses
    # Memos, filled as readers come (the plan's data above never changes once built):
    _variants: dict[str, str] = field(default_factory=dict, repr=False)  # campaign id -> hook variant topic
    _ordered: list = field(default_factory=lambda: [(None, [])], repr=False)  # [(ranking, its contenders)]
    _reach: list = field(default_factory=lambda: [None], repr=False)  # [the article in the reach forecast]

    def variant(self, campaign: Campaign, pick: Callable[[ArticleContext, Campaign], str]) -> str:
        """The hook variant topic for `campaign` on this article (`Ranker.variant_topic`), once per plan."""
        topic = self._variants.get(campaign.id)
        if topic is None:
            topic = self._variants[campaign.id] = pick(self.ctx, campaign)
        return topic

    def reach(self, read: Callable[[Plan], tuple[str, bytes]]) -> tuple[str, bytes]:
        """The article's (id, reading) in the reach forecast's counts (`forecast.tally`), read once per plan."""
        got = self._reach[0]
        if got is None:
            got = self._reach[0] = read(self)
        return got

    def contenders(self, ranked: list[Scored], order: Callable[[list[Scored]], list[Scored]]) -> list[Scored]:
        """`order(ranked)`, reused while the ranking is the same one (it varies per reader only while a
        CTR term explores)."""
        seen, ordered = self._ordered[0]  # one slot holding a pair: threads swap it whole
        if ranked is not seen:
            ordered = order(ranked)
            self._ordered[0] = (ranked, ordered)
        return ordered


class PlanCache(LRU[tuple, Plan]):
    """Plans by (article content, day, excluded sponsors, ranker, reader), for one catalog snapshot."""

    def __init__(self, size: int = PLAN_CACHE_SIZE, rows: int = PLAN_CACHE_ROWS):
        super().__init__(size, max_weight=rows)

    def put(self, key: tuple, plan: Plan, weight: int | None = None) -> None:
        super().put(key, plan, 1 + len(plan.eligible) if weight is None else weight)


def plan_cache(snapshot: CatalogSnapshot) -> PlanCache:
    """`snapshot.derived(plan_cache)`: per-article decision work, valid as long as the snapshot."""
    return PlanCache()
