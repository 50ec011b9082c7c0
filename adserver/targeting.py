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
