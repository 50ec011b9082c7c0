"""Eligibility: the hard rules a campaign must pass before relevance is even considered."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .catalog import Campaign
from .context import ArticleContext
from .text import term_words


@dataclass(frozen=True)
class Rejection:
    campaign_id: str
    reason: str


def _excluded_term(campaign: Campaign, ctx: ArticleContext, text_words: set[str]) -> str | None:
    """An excluded keyword found in the article's keywords, topic, title or summary."""
    excluded = campaign.targeting.exclude_keywords
    if not excluded:
        return None
    for term in excluded:
        if term in ctx.keywords or term == ctx.topic:
            return term
        parts = term_words(term)
        if parts and all(p in text_words for p in parts):
            return term
    return None


def rejection_reason(campaign: Campaign, ctx: ArticleContext, today: date, text_words: set[str]) -> str | None:
    """Why this campaign may not serve this context, or None when it may."""
    t = campaign.targeting
    if campaign.status != "active":
        return f"status is {campaign.status}"
    if not campaign.runs_on(today):
        return "outside its flight dates"
    if not campaign.creatives:
        return "has no creative"
    if t.placements and ctx.placement not in t.placements:
        return f"placement {ctx.placement} not targeted"
    if t.languages and ctx.language and ctx.language not in t.languages:
        return f"language {ctx.language} not targeted"
    if ctx.sentiment and ctx.sentiment in t.exclude_sentiments:
        return f"excludes {ctx.sentiment} sentiment"
    term = _excluded_term(campaign, ctx, text_words)
    if term:
        return f"excluded keyword '{term}'"
    return None


def split_eligible(
    campaigns: Iterable[Campaign], ctx: ArticleContext, today: date
) -> tuple[list[Campaign], list[Rejection]]:
    text_words = ctx.text_words()
    eligible: list[Campaign] = []
    rejected: list[Rejection] = []
    for c in campaigns:
        reason = rejection_reason(c, ctx, today, text_words)
        if reason is None:
            eligible.append(c)
        else:
            rejected.append(Rejection(c.id, reason))
    return eligible, rejected


class TargetingIndex:
    """Eligibility by set algebra over one snapshot's campaigns, for the hot path.

    Equivalent to `rejection_reason(...) is None` for every campaign (a test checks this), but costs
    a few set operations instead of a loop over the whole catalog.
    """

    def __init__(self, campaigns: tuple[Campaign, ...]):
        self.campaigns = campaigns
        self.all = frozenset(range(len(campaigns)))
        self._serving: dict[date, frozenset[int]] = {}
        self.placement_free: set[int] = set()
        self.by_placement: dict[str, set[int]] = {}
        self.language_free: set[int] = set()
        self.by_language: dict[str, set[int]] = {}
        self.excluding_sentiment: dict[str, set[int]] = {}
        self.exclusion_by_term: dict[str, set[int]] = {}  # exact term (keyword/topic match)
        self.exclusion_by_word: dict[str, list[tuple[int, tuple[str, ...]]]] = {}  # first word -> phrase
        for i, c in enumerate(campaigns):
            t = c.targeting
            _file(self.placement_free, self.by_placement, i, t.placements)
            _file(self.language_free, self.by_language, i, t.languages)
            for s in t.exclude_sentiments:
                self.excluding_sentiment.setdefault(s, set()).add(i)
            for term in t.exclude_keywords:
                self.exclusion_by_term.setdefault(term, set()).add(i)
                parts = tuple(term_words(term))
                if parts:
                    self.exclusion_by_word.setdefault(parts[0], []).append((i, parts))

    def serving(self, today: date) -> frozenset[int]:
        """Active, inside their dates, with a creative (cached per day)."""
        got = self._serving.get(today)
        if got is None:
            got = frozenset(
                i for i, c in enumerate(self.campaigns) if c.status == "active" and c.runs_on(today) and c.creatives
            )
            self._serving = {today: got}
        return got

    def eligible(self, ctx: ArticleContext, today: date, text_words: set[str]) -> set[int]:
        ok = set(self.serving(today))
        ok &= self.placement_free | self.by_placement.get(ctx.placement, set())
        if ctx.language:
            ok &= self.language_free | self.by_language.get(ctx.language, set())
        if ctx.sentiment:
            ok -= self.excluding_sentiment.get(ctx.sentiment, set())
        for term in (*ctx.keywords, ctx.topic):
            if term in self.exclusion_by_term:
                ok -= self.exclusion_by_term[term]
        for word in text_words:
            for i, parts in self.exclusion_by_word.get(word, ()):
                if i in ok and all(p in text_words for p in parts):
                    ok.discard(i)
        return ok


def _file(free: set[int], by_value: dict[str, set[int]], i: int, values: frozenset[str]) -> None:
    if not values:
        free.add(i)
    for v in values:
        by_value.setdefault(v, set()).add(i)
