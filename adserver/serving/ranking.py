"""Relevance: how well an eligible campaign fits the article, with the parts of the score.

`OverlapRanker` is the explainable baseline (topic and keyword overlap). The learned model
(`adserver.model`) implements the same `Ranker` protocol and replaces it when one is active.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .context import ArticleContext
from .snapshot import Campaign, CatalogSnapshot
from .text import Phrases, phrase_index, phrases_in, term_words


@dataclass(frozen=True)
class Scored:
    campaign: Campaign
    score: float
    parts: dict[str, float] = field(default_factory=dict)  # named score components, summing to score
    reasons: tuple[str, ...] = ()  # the parts in words an operator understands


class Ranker(Protocol):
    """What `decision.decide` asks of a ranker. `rank` in two halves, so that decisions cache the
    per-article half (`adserver.serving.plans`): `prepare` (the same for every reader of the article) and
    `finish` (what varies per reader, such as exploration); `plan_key` names what else the prepared
    half depends on (the model version, say). `PlainRanker` gives a ranker that only ranks the rest."""

    name: str

    def rank(
        self, ctx: ArticleContext, campaigns: Sequence[Campaign], snapshot: CatalogSnapshot, explain: bool = True
    ) -> list[Scored]:
        """Score every campaign; return them best first. Scores are >= 0. Reasons may be left out unless `explain`."""
        ...

    def plan_key(self) -> tuple: ...

    def prepare(self, ctx: ArticleContext, campaigns: Sequence[Campaign], snapshot: CatalogSnapshot) -> Any: ...

    def finish(self, prepared: Any, explain: bool = False) -> list[Scored]: ...

    def context_topic(self, ctx: ArticleContext) -> str:
        """The topic the ranker reads in an article without a publisher topic ('' when it reads none)."""
        ...

    def variant_topic(self, ctx: ArticleContext, campaign: Campaign) -> str:
        """The topic whose hook variant fits the article best (`ctx.topic` when the ranker has no view)."""
        ...


class PlainRanker:
    """The rest of `Ranker` for a ranker that only ranks: nothing prepared ahead, nothing read."""

    name = "plain"

    def rank(
        self, ctx: ArticleContext, campaigns: Sequence[Campaign], snapshot: CatalogSnapshot, explain: bool = True
    ) -> list[Scored]:
        raise NotImplementedError

    def plan_key(self) -> tuple:
        return (self.name, id(self))

    def prepare(self, ctx: ArticleContext, campaigns: Sequence[Campaign], snapshot: CatalogSnapshot) -> Any:
        return ctx, campaigns, snapshot

    def finish(self, prepared: Any, explain: bool = False) -> list[Scored]:
        return self.rank(*prepared, explain=explain)

    def context_topic(self, ctx: ArticleContext) -> str:
        return ""

    def variant_topic(self, ctx: ArticleContext, campaign: Campaign) -> str:
        return ctx.topic


# Weights of the overlap score: a topic match outweighs any single keyword.
TOPIC_WEIGHT = 3.0
TOPIC_WORD_WEIGHT = 1.0
KEYWORD_WEIGHT = 1.0
TEXT_WEIGHT = 0.5
MAX_KEYWORD_HITS = 5


def is_run_of_network(c: Campaign) -> bool:
    """A campaign with no topics and no keywords may run on any article, at a base score."""
    return not c.targeting.topics and not c.targeting.keywords


@dataclass(frozen=True)
class _Terms:
    """A campaign's targeting, pre-split for scoring."""

    topics: frozenset[str]
    topic_words: frozenset[str]
    keywords: frozenset[str]
    phrases: Phrases  # its keywords and topics, for `phrases_in`


def overlap_index(snapshot: CatalogSnapshot) -> OverlapIndex:
    """`snapshot.derived(overlap_index)`: every campaign's targeting, split for scoring once per snapshot."""
    return OverlapIndex(snapshot.campaigns)


class OverlapIndex:
    """Per-snapshot: each campaign's targeting terms, pre-split for scoring."""

    def __init__(self, campaigns: Sequence[Campaign]):
        self.terms: dict[str, _Terms] = {}
        for c in campaigns:
            t = c.targeting
            self.terms[c.id] = _Terms(
                t.topics,
                frozenset(w for x in t.topics for w in term_words(x)),
                t.keywords,
                phrase_index(t.keywords | t.topics),
            )


class OverlapRanker(PlainRanker):
    name = "overlap"

    def prepare(self, ctx: ArticleContext, campaigns: Sequence[Campaign], snapshot: CatalogSnapshot) -> list[Scored]:
        return self.rank(ctx, campaigns, snapshot)

    def finish(self, prepared: list[Scored], explain: bool = False) -> list[Scored]:
        return prepared  # nothing varies per reader

    def rank(
        self, ctx: ArticleContext, campaigns: Sequence[Campaign], snapshot: CatalogSnapshot, explain: bool = True
    ) -> list[Scored]:
        # Reasons are built either way: here they are a by-product of the overlap checks themselves.
        index = snapshot.derived(overlap_index)
        text_words = ctx.text_words()
        ctx_keywords = set(ctx.keywords)
        topic_words = set(term_words(ctx.topic)) if ctx.topic else set()
        scored = []
        for c in campaigns:
            t = index.terms.get(c.id) or OverlapIndex([c]).terms[c.id]
            parts: dict[str, float] = {}
            reasons: list[str] = []
            if ctx.topic and ctx.topic in t.topics:
                parts["topic"] = TOPIC_WEIGHT
                reasons.append(f"targets topic '{ctx.topic}'")
            elif topic_words & t.topic_words:
                parts["topic"] = TOPIC_WORD_WEIGHT
                reasons.append(f"a targeted topic shares a word with '{ctx.topic}'")
            kw_hits = sorted(ctx_keywords & t.keywords)[:MAX_KEYWORD_HITS]
            if kw_hits:
                parts["keywords"] = KEYWORD_WEIGHT * len(kw_hits)
                reasons.append("keywords hit: " + ", ".join(kw_hits))
            text_hits = sorted(x for x in phrases_in(t.phrases, text_words) if x not in ctx_keywords)[:MAX_KEYWORD_HITS]
            if text_hits:
                parts["text"] = TEXT_WEIGHT * len(text_hits)
                reasons.append("title/summary mention: " + ", ".join(text_hits))
            if not parts and is_run_of_network(c):
                parts["run_of_network"] = 0.1
                reasons.append("untargeted (runs on any article)")
            scored.append(Scored(c, round(sum(parts.values()), 6), parts, tuple(reasons)))
        scored.sort(key=lambda s: (-s.score, s.campaign.id))
        return scored
