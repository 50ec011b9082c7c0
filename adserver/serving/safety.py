"""Brand safety: the sensitive categories a campaign may exclude, and an article's sentiment when none is sent.

The categories (crime, disasters, war and conflict, ...) are the project's own table,
`adserver/model/data/sensitive.yaml`, each standing for IAB Content Taxonomy 3.0 sensitive nodes. An article is
in a category when its publisher says so (`article.categories`, by name or alias) or when the safety reader
(`adserver.model.sensitive`) reads it from the text with at least `CATEGORY_FLOOR` confidence. Its sentiment is
the publisher's, else VADER's reading of the title and summary. Both are read once per article (with its plan).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import yaml

from .text import normalize_term

if TYPE_CHECKING:  # the context normalises the publisher's categories with `category_of`
    from .context import ArticleContext

# How sure the safety reader must be that an article is in a category before campaigns excluding it skip the
# article: the middle of the gap between the project's hand-written safe and sensitive items (bench/safety.py
# prints it; research data only reports). Lower keeps more cards off sensitive news, and off more safe news.
CATEGORY_FLOOR = 0.45
SENTIMENT_CHARS = 1000  # VADER reads the start of the text: bounded work per article, as the encoder does
POSITIVE, NEGATIVE = 0.05, -0.05  # VADER's own thresholds on its compound score


@lru_cache(maxsize=1)
def categories() -> dict[str, dict]:
    """name -> {iab, aliases, description, examples}."""
    path = resources.files("adserver.model").joinpath("data/sensitive.yaml")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    out = {}
    for name, entry in categories().items():
        out[name] = name
        for alias in entry.get("aliases") or ():
            out.setdefault(normalize_term(alias), name)
    return out


def category_of(term: str) -> str:
    """A publisher's category ('War', 'obituaries') as one of ours, or '' when it is none of them."""
    return _names().get(normalize_term(term), "")


@lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def warm() -> None:
    _vader()


def estimate_sentiment(text: str) -> str:
    """positive | neutral | negative, from VADER's lexicon (offline, rule-based)."""
    score = _vader().polarity_scores(text[:SENTIMENT_CHARS])["compound"]
    return "positive" if score >= POSITIVE else "negative" if score <= NEGATIVE else "neutral"


def annotate(
    ctx: ArticleContext,
    sentiment: bool,
    read: Callable[[ArticleContext], Mapping[str, float]] | None = None,
) -> ArticleContext:
    """The article as the exclusion rules see it: without a sent sentiment (and `sentiment`), the estimated one;
    with `read` (the article's text -> confidence per category), every category read at or above the floor
    added to the publisher's."""
    read_now: dict = {}  # one copy of the context for both readings
    if sentiment and not ctx.sentiment:
        text = " . ".join(x for x in (ctx.title, ctx.summary) if x)
        read_now.update(sentiment=estimate_sentiment(text), sentiment_read=True)
    if read is not None:
        confidence = read(ctx)
        found = {c for c, p in confidence.items() if p >= CATEGORY_FLOOR}
        read_now.update(
            categories=tuple(sorted(set(ctx.categories) | found)),
            category_confidence=tuple(sorted((c, round(p, 4)) for c, p in confidence.items())),
        )
    return replace(ctx, **read_now) if read_now else ctx
