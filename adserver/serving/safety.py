"""Brand safety: the sensitive categories a campaign may exclude, and an article's sentiment when none is sent.

The categories (crime, disasters, war and conflict, ...) are `categories`: the project's own table,
`adserver/model/data/sensitive.yaml`, each standing for IAB Content Taxonomy 3.0 sensitive nodes. An article is
in a category when its publisher says so (`article.categories`, by name or alias) or when the safety reader
(`adserver.model.sensitive`) reads it from the text with at least `CATEGORY_FLOOR` confidence. Its sentiment is
the publisher's, else the tone reader's (`adserver.model.tone`) when it is at least `TONE_FLOOR` sure; below
that the tone is unknown and excludes nothing. Both are read once per article (with its plan).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the context normalises the publisher's categories with `category_of`
    from .context import ArticleContext

# How sure the safety reader must be that an article is in a category before campaigns excluding it skip the
# article: the middle of the gap between the project's hand-written safe and sensitive items (bench/safety.py
# prints it; research data only reports). Lower keeps more cards off sensitive news, and off more safe news.
CATEGORY_FLOOR = 0.45
# How sure the tone reader must be of an article's tone before campaigns excluding that tone skip it: chosen on the
# floor part of the project's labelled headlines (bench/tone.py sweeps it; the other part and research data only
# report). Below it the tone is unknown: a wrong "negative" costs a campaign a third of its inventory.
TONE_FLOOR = 0.5


def annotate(
    ctx: ArticleContext,
    sentiment: bool,
    read: Callable[[ArticleContext], Mapping[str, float]] | None = None,
    tone: Callable[[ArticleContext], Mapping[str, float]] | None = None,
) -> ArticleContext:
    """The article as the exclusion rules see it: without a sent sentiment (and `sentiment`), the one `tone` reads
    (the article -> probability per tone) at or above the floor, else none; with `read` (the article -> confidence
    per category), every category read at or above the floor added to the publisher's."""
    read_now: dict = {}  # one copy of the context for both readings
    if sentiment and not ctx.sentiment and tone is not None:
        p = tone(ctx)
        best = max(p, key=p.__getitem__, default="")
        read_now.update(
            sentiment=best if best and p[best] >= TONE_FLOOR else "",
            sentiment_read=True,
            sentiment_confidence=tuple(sorted((t, round(x, 4)) for t, x in p.items())),
        )
    if read is not None:
        confidence = read(ctx)
        found = {c for c, p in confidence.items() if p >= CATEGORY_FLOOR}
        read_now.update(
            categories=tuple(sorted(set(ctx.categories) | found)),
            category_confidence=tuple(sorted((c, round(p, 4)) for c, p in confidence.items())),
        )
    return replace(ctx, **read_now) if read_now else ctx
