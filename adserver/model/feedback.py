"""Learning from clicks: smoothed CTR per (topic, campaign) with Thompson sampling for exploration.

Counts come from a `ClickStats` source: `MemoryClickStats` (fed directly: tests, simulations) or
`RollupClickStats` (the `daily_rollups` SQL table, re-read in the background, never on the request path).
The prior of each campaign's CTR is the topic's average CTR scaled by its relevance, so a new campaign
gets a fair trial in proportion to how well it fits, and clicks take over as evidence accumulates.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property

import numpy as np
from sqlalchemy import text

from ..infra.poller import Poller

log = logging.getLogger(__name__)

GLOBAL_PRIOR_CTR = 0.01
GLOBAL_PRIOR_IMPRESSIONS = 1000.0  # smoothing of the topic average toward the global one
MIN_PRIOR_STRENGTH = 20.0  # pseudo-impressions behind a campaign's prior CTR
MIN_RELEVANCE_SHARE = 0.05  # the prior of the least relevant contender, as a share of the best one's


class ClickStats:
    """Impressions and clicks per (topic, campaign id); `version` changes whenever the counts do."""

    version: int = 0

    def counts(self) -> Mapping[tuple[str, str], tuple[int, int]]:
        raise NotImplementedError


class MemoryClickStats(ClickStats):
    """Counts held in memory and fed directly (tests, `bench/click_sim.py`)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}
        self._lock = threading.Lock()
        self.version = 0

    def add(self, topic: str, campaign_id: str, impressions: int = 0, clicks: int = 0) -> None:
        with self._lock:
            i, c = self._counts.get((topic, campaign_id), (0, 0))
            self._counts = {**self._counts, (topic, campaign_id): (i + impressions, c + clicks)}
            self.version += 1

    def counts(self) -> Mapping[tuple[str, str], tuple[int, int]]:
        return self._counts


ROLLUP_QUERY = text(
    "SELECT topic, campaign_id, SUM(impressions), SUM(clicks) FROM daily_rollups "
    "WHERE day >= :since GROUP BY topic, campaign_id"
)


class RollupClickStats(ClickStats):
    """Counts summed from the `daily_rollups` table over the last `days`, refreshed in the background."""

    def __init__(self, engine, poll_seconds: float = 60.0, days: int = 30):
        self.engine = engine
        self.days = days
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}
        self.version = 0
        self._warned = False
        self._poller = Poller("click-stats-poller", self.refresh, poll_seconds)

    def refresh(self) -> bool:
        """Re-read the rollups; True when the counts changed. A missing table reads as no counts."""
        since = (datetime.now(UTC) - timedelta(days=self.days)).date()
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(ROLLUP_QUERY, {"since": since}).all()
        except Exception as e:  # table not migrated yet, or SQL down: keep the last counts, say so (once)
            (log.debug if self._warned else log.warning)("click stats not refreshed: %s", str(e).splitlines()[0])
            self._warned = True
            return False
        counts = {(t or "", cid): (int(i or 0), int(c or 0)) for t, cid, i, c in rows}
        if counts != self._counts:
            self._counts = counts
            self.version += 1
            return True
        return False

    def counts(self) -> Mapping[tuple[str, str], tuple[int, int]]:
        self._poller.ensure()
        return self._counts

    def stop(self) -> None:
        self._poller.stop()


@dataclass(frozen=True)
class TopicCounts:
    """Counts of one topic aligned with a campaign index: arrays of impressions and clicks."""

    impressions: np.ndarray
    clicks: np.ndarray
    topic_ctr: float  # smoothed average CTR of the topic

    @cached_property  # once per topic and click-count refresh, not per decision (the counts never change)
    def any(self) -> bool:
        return bool(self.impressions.sum() > 0)


def topic_counts(stats: Mapping[tuple[str, str], tuple[int, int]], topic: str, ids: Sequence[str]) -> TopicCounts:
    pos = {cid: i for i, cid in enumerate(ids)}
    imps = np.zeros(len(ids), dtype=np.float64)
    clicks = np.zeros(len(ids), dtype=np.float64)
    all_i = all_c = 0
    for (t, cid), (i, c) in stats.items():
        all_i += i
        all_c += c
        if t == topic and cid in pos:
            imps[pos[cid]] = i
            clicks[pos[cid]] = min(c, i)
    global_ctr = (all_c + GLOBAL_PRIOR_CTR * GLOBAL_PRIOR_IMPRESSIONS) / (all_i + GLOBAL_PRIOR_IMPRESSIONS)
    ctr = (clicks.sum() + global_ctr * GLOBAL_PRIOR_IMPRESSIONS) / (imps.sum() + GLOBAL_PRIOR_IMPRESSIONS)
    return TopicCounts(imps, clicks, float(ctr))


@dataclass(frozen=True)
class ThompsonPrior:
    """Each contender's Beta distribution of its CTR for one article and one refresh of the counts: everything
    but the draw, which is per reader (`draw`). `a` is None when no contender is related (nothing to draw)."""

    a: np.ndarray | None
    b: np.ndarray | None
    top: float  # the best relevance
    ctr: float  # the topic's CTR (the prior's mean at the best relevance)
    related: np.ndarray


def thompson_prior(relevance: np.ndarray, counts: TopicCounts) -> ThompsonPrior:
    """Prior mean CTR = topic CTR x relevance share; clicks update it (Beta)."""
    top = float(relevance.max()) if relevance.size else 0.0
    if top <= 0:
        return ThompsonPrior(None, None, top, counts.topic_ctr, relevance > 0)
    m = counts.topic_ctr
    share = np.clip(relevance / top, MIN_RELEVANCE_SHARE, 1.0)
    prior = m * share
    strength = max(MIN_PRIOR_STRENGTH, 2.0 / m)
    a = prior * strength + counts.clicks
    b = (1.0 - prior) * strength + np.maximum(counts.impressions - counts.clicks, 0)
    return ThompsonPrior(a, b, top, m, relevance > 0)


def draw(prior: ThompsonPrior, relevance: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(final scores, sampled CTRs): one Thompson draw from `prior` (of `relevance`)."""
    if prior.a is None:
        return relevance, np.zeros_like(relevance)
    theta = rng.beta(prior.a, prior.b)
    scores = np.where(prior.related, prior.top * theta / prior.ctr, 0.0)
    return scores, theta
