"""Relevance: how well an eligible campaign fits the article, with the parts of the score.

`OverlapRanker` is the explainable baseline (topic and keyword overlap). The learned model
(`adserver.model`) implements the same `Ranker` protocol and replaces it when one is active.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .catalog import Campaign, CatalogSnapshot
from .context import ArticleContext
from .text import term_words


@dataclass(frozen=True)
class Scored:
    campaign: Campaign
    score: float
    parts: dict[str, float] = field(default_factory=dict)  # named score components, summing to score
    reasons: tuple[str, ...] = ()  # the parts in words an operator understands


class Ranker(Protocol):
    name: str

    def rank(self, ctx: ArticleContext, campaigns: Sequence[Campaign], snapshot: CatalogSnapshot) -> list[Scored]:
        """Score every campaign; return them best first. Scores are >= 0."""
        ...


# Weights of the overlap score: a topic match outweighs any single keyword.
TOPIC_WEIGHT = 3.0
TOPIC_WORD_WEIGHT = 1.0
KEYWORD_WEIGHT = 1.0
TEXT_WEIGHT = 0.5
MAX_KEYWORD_HITS = 5


def is_run_of_network(c: Campaign) -> bool:
    """A campaign with no topics and no keywords may run on any article, at a base score."""
    return not c.targeting.topics and not c.targeting.keywords


class OverlapRanker:
    name = "overlap"

    def rank(self, ctx: ArticleContext, campaigns: Sequence[Campaign], snapshot: CatalogSnapshot) -> list[Scored]:
        text_words = ctx.text_words()
        ctx_keywords = set(ctx.keywords)
        topic_words = set(term_words(ctx.topic)) if ctx.topic else set()
        # Terms the title/summary mention, decided once per distinct term rather than once per campaign.
        in_text: set[str] = set()
        if text_words:
            terms = set().union(*(c.targeting.keywords | c.targeting.topics for c in campaigns))
            in_text = {k for k in terms if _phrase_in(k, text_words)}
        scored = []
        for c in campaigns:
            t = c.targeting
            parts: dict[str, float] = {}
            reasons: list[str] = []
            if ctx.topic and ctx.topic in t.topics:
                parts["topic"] = TOPIC_WEIGHT
                reasons.append(f"targets topic '{ctx.topic}'")
            elif topic_words and any(not topic_words.isdisjoint(_term_parts(x)) for x in t.topics):
                parts["topic"] = TOPIC_WORD_WEIGHT
                reasons.append(f"a targeted topic shares a word with '{ctx.topic}'")
            kw_hits = sorted(ctx_keywords & t.keywords)[:MAX_KEYWORD_HITS]
            if kw_hits:
                parts["keywords"] = KEYWORD_WEIGHT * len(kw_hits)
                reasons.append("keywords hit: " + ", ".join(kw_hits))
            text_hits = sorted(((t.keywords | t.topics) & in_text) - ctx_keywords)[:MAX_KEYWORD_HITS] if in_text else []
            if text_hits:
                parts["text"] = TEXT_WEIGHT * len(text_hits)
                reasons.append("title/summary mention: " + ", ".join(text_hits))
            if not parts and is_run_of_network(c):
                parts["run_of_network"] = 0.1
                reasons.append("untargeted (runs on any article)")
            score = round(sum(parts.values()), 6)
            scored.append(Scored(c, score, parts, tuple(reasons)))
        scored.sort(key=lambda s: (-s.score, s.campaign.id))
        return scored


@functools.lru_cache(maxsize=65536)
def _term_parts(term: str) -> tuple[str, ...]:
    """term_words, memoised: catalog terms repeat on every request (an explicit, bounded cache)."""
    return tuple(term_words(term))


def _phrase_in(term: str, text_words: set[str]) -> bool:
    parts = _term_parts(term)
    return bool(parts) and all(p in text_words for p in parts)
