"""Matching: is the article about what the campaign targets? `fit` holds the rules; a `Matcher` reads the
text (`DeclaredTopics` reads none: only the publisher's topic and keywords count)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Protocol

from . import safety
from .context import ArticleContext
from .snapshot import Campaign
from .taxonomy import taxonomy
from .text import phrase_index, phrases_in

MIN_RELEVANCE = 0.4  # default floor for a topic read from the text (chosen with bench/relevance.py)
# The floor for a topic read from the text when the publisher's own topic is in another section: the publisher
# knows its article, so a reading that disagrees must be surer than one that fills in for a missing topic.
AGAINST_PUBLISHER = 0.6
FLOOR_WORDS = {
    "campaign": "its own floor",
    "default": "the default floor",
    "publisher": "the floor against the publisher's topic",
}


class How(StrEnum):
    """How a campaign matched an article, or did not (explain's `match.how`)."""

    PUBLISHER_TOPIC = "publisher topic"
    READ_FROM_TEXT = "read from text"
    KEYWORD = "keyword"
    KEYWORD_MEANING = "keyword meaning"
    RUN_OF_SITE = "run of site"
    HOUSE = "house"
    NO_MATCH = "no match"


@dataclass(frozen=True)
class Fit:
    """Whether a campaign's targeting matches an article, how, and in words (for `?explain=1`)."""

    eligible: bool
    how: How
    topic: str = ""  # the targeted topic (or keyword) that matched best, or the topic the text reads as
    confidence: float = 1.0  # how sure the match is (1 for what the publisher said), 0..1
    floor: float = 0.0  # the confidence it needed
    said: str = ""  # the publisher's topic, as normalised
    floor_from: str = "default"  # whose floor: the campaign's `min_relevance`, the default, or AGAINST_PUBLISHER
    reads_as: tuple[str, float] = ("", 0.0)  # a miss read from the text: what the article is about, for explain

    @property
    def reason(self) -> str:
        """The fit in words, built only when someone reads it (explain), not on every decision."""
        c, f = self.confidence, self.floor
        which = FLOOR_WORDS[self.floor_from]
        if self.how is How.HOUSE:
            return "house card: fills only when no paid campaign is eligible"
        if self.how is How.RUN_OF_SITE:
            return "untargeted: runs on any article"
        if self.how is How.PUBLISHER_TOPIC:
            return f"publisher topic '{self.said}' is '{self.topic}'"
        if self.how is How.READ_FROM_TEXT:
            return f"the text reads as '{self.topic}' ({c:.2f} >= {f:.2f}, {which})"
        if self.how is How.KEYWORD:
            return f"keyword '{self.topic}' in the article"
        if self.how is How.KEYWORD_MEANING:
            return f"text close to its keywords ({c:.2f} >= {f:.2f}, {which})"
        if f == 0.0:  # nothing read the text: only the publisher's topic counted
            said = f"publisher topic '{self.said}'" if self.said else "no publisher topic"
            return f"{said}; targets {self.topic}"
        if self.topic:
            about, p = self.reads_as
            if about and about != self.topic:  # name what the article is about, then the campaign's own topic
                return f"the text reads as '{about}' ({p:.2f}); as '{self.topic}' only {c:.2f} (< {f:.2f}, {which})"
            return f"the text reads as '{self.topic}' only {c:.2f} (< {f:.2f}, {which})"
        return f"no keyword in the article (meaning {c:.2f} < {f:.2f}, {which})"


@dataclass(frozen=True)
class TopicTargets:
    """A campaign's targeted topics on the taxonomy: each topic's node ('' when the table does not know it)
    and every node an article's declared topic may be to match (the targeted nodes and all below them)."""

    topics: tuple[str, ...]
    nodes: tuple[str, ...]
    covered: frozenset[str]


@lru_cache(maxsize=65536)
def topic_targets(topics: frozenset[str]) -> TopicTargets:
    tax = taxonomy()
    ordered = tuple(sorted(topics))
    nodes = tuple(tax.resolve(t) for t in ordered)
    return TopicTargets(ordered, nodes, frozenset().union(*(tax.below(n) for n in nodes if n)))


def keyword_hit(campaign: Campaign, ctx: ArticleContext, text_words: set[str]) -> str:
    """A campaign keyword among the article's keywords or written in its title or summary ('' for none; the
    first in sorted order when several are). The cost follows the article's words, not the campaign's keywords:
    a campaign with many keywords costs a new article no more than one with few (`text.phrases_in`)."""
    keywords = campaign.targeting.keywords
    hits = keywords.intersection(ctx.keywords) | phrases_in(phrase_index(keywords), text_words)
    return min(hits) if hits else ""


class Matcher(Protocol):
    """Reads what an article is about and says, per campaign, whether its targeting matches."""

    def fits(self, ctx: ArticleContext, campaigns: Sequence[Campaign], misses: bool = True) -> list[Fit | None]:
        """Each campaign's fit, in order; without `misses`, None for a campaign that does not match."""
        ...

    def plan_key(self) -> tuple:
        """What else the fits depend on (a model version): part of a cached plan's key."""
        ...

    def warm(self) -> None:
        """Load what reading needs now (a web process at start), not in the first decision."""
        ...

    def annotate(self, ctx: ArticleContext, sentiment: bool, categories: bool) -> ArticleContext:
        """The article as the exclusion rules see it (`safety.annotate`): with `sentiment`, the sentiment read
        from the text when none was sent; with `categories`, the sensitive categories read from it."""
        ...


class DeclaredTopics:
    """The matcher that reads no text: only the publisher's topic (through the taxonomy) and keywords match.

    The serving matcher (`adserver.model.matcher.ModelMatcher`) adds what the text says; this one is what a
    decision falls back to without it, and the shared rules both apply.
    """

    def plan_key(self) -> tuple:
        return ("declared",)

    def warm(self) -> None:
        pass

    def annotate(self, ctx: ArticleContext, sentiment: bool, categories: bool) -> ArticleContext:
        # No model here: only the publisher's categories and sentiment count (the tone is read by the model).
        return safety.annotate(ctx, sentiment)

    def fits(self, ctx: ArticleContext, campaigns: Sequence[Campaign], misses: bool = True) -> list[Fit | None]:
        declared = taxonomy().resolve(ctx.topic)
        text_words = ctx.text_words()
        return [fit(c, ctx, declared, text_words, misses=misses) for c in campaigns]


def fit(
    c: Campaign,
    ctx: ArticleContext,
    declared: str,
    text_words: set[str],
    read: Callable[[Campaign, TopicTargets], tuple[str, float]] | None = None,
    closeness: Callable[[Campaign], float] | None = None,
    misses: bool = True,
    reads_as: tuple[str, float] = ("", 0.0),
) -> Fit | None:
    """The targeting rules, in one place. `declared` is the taxonomy node of the publisher's topic; `read(c, tt)`
    gives the campaign's best topic and how sure the text is about it; `closeness(c)` how close the text is in
    meaning to its keywords (both absent when nothing reads the text). Without `misses`, a campaign that does
    not match gets None instead of its Fit (a decision needs only the matches; explain needs all), and
    `reads_as` (the article's best node and its confidence) lets a miss say what the article is about."""
    t = c.targeting
    if c.house:
        return Fit(True, How.HOUSE)
    if t.topics:
        tt = topic_targets(t.topics)
        if ctx.topic in t.topics or declared in tt.covered:
            topic = (
                ctx.topic
                if ctx.topic in t.topics
                else next(x for x, n in zip(tt.topics, tt.nodes, strict=True) if n and declared in taxonomy().below(n))
            )
            return Fit(True, How.PUBLISHER_TOPIC, topic, said=ctx.topic)
        # Its own keywords count beside its topics: written in the article, they say what it is about.
        hit = keyword_hit(c, ctx, text_words) if t.keywords else ""
        if hit:
            return Fit(True, How.KEYWORD, hit, said=ctx.topic)
        own = "campaign" if t.min_relevance is not None else "default"
        floor = MIN_RELEVANCE if t.min_relevance is None else t.min_relevance
        if declared and floor < AGAINST_PUBLISHER:  # the publisher named another section
            own, floor = "publisher", AGAINST_PUBLISHER
        if read is None:
            return Fit(False, How.NO_MATCH, ", ".join(tt.topics), 0.0, said=ctx.topic) if misses else None
        topic, p = read(c, tt)
        if p >= floor:
            return Fit(True, How.READ_FROM_TEXT, topic, p, floor, ctx.topic, own)
        return Fit(False, How.NO_MATCH, topic, p, floor, ctx.topic, own, reads_as) if misses else None
    if t.keywords:
        hit = keyword_hit(c, ctx, text_words)
        if hit:
            return Fit(True, How.KEYWORD, hit, said=ctx.topic)
        own = "campaign" if t.min_relevance is not None else "default"
        floor = KEYWORD_MEANING if t.min_relevance is None else t.min_relevance
        near = closeness(c) if closeness is not None else 0.0
        if near >= floor:
            return Fit(True, How.KEYWORD_MEANING, "", near, floor, ctx.topic, own)
        return Fit(False, How.NO_MATCH, "", near, floor, ctx.topic, own) if misses else None
    return Fit(True, How.RUN_OF_SITE, confidence=0.0)


KEYWORD_MEANING = 0.5  # cosine of article and keywords for a keyword-only campaign without a keyword hit
