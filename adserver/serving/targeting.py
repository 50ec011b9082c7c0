"""Eligibility: the hard rules a campaign must pass before relevance is even considered."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Protocol

from . import safety
from .budget import starts_spent
from .context import ArticleContext
from .safety import CATEGORY_FLOOR
from .snapshot import Campaign, CatalogSnapshot
from .taxonomy import taxonomy
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


def reader_reason(campaign: Campaign, ctx: ArticleContext, now: datetime) -> str | None:
    """Why this campaign may not serve this reader now (device, country, schedule), or None when it may.
    These rules depend on the request, not the article: `decide` applies them after the article's plan."""
    t = campaign.targeting
    if t.schedule is not None and not t.schedule.runs_at(now):
        return f"outside its schedule ({t.schedule.local(now)})"
    if t.devices and ctx.device not in t.devices:
        return f"device {ctx.device or 'unknown'} not targeted"
    if t.geo:
        if not ctx.country:
            return "the reader's country is unknown (no header, private or unlisted address): geo-targeted"
        if ctx.country in t.exclude_countries:
            return f"country {ctx.country} excluded"
        if t.in_countries and ctx.country not in t.in_countries:
            return f"country {ctx.country} not targeted"
    return None


def rejection_reason(
    campaign: Campaign, ctx: ArticleContext, today: date, text_words: set[str], now: datetime | None = None
) -> str | None:
    """Why this campaign may not serve this context (and, given `now`, this reader), or None when it may."""
    t = campaign.targeting
    if campaign.status != "active":
        return f"status is {campaign.status}"
    if not campaign.runs_on(today):
        return "outside its flight dates"
    if not campaign.creatives:
        return "has no creative"
    if starts_spent(campaign):
        return "its budget leaves nothing to spend"
    if t.placements and ctx.placement not in t.placements:
        return f"placement {ctx.placement} not targeted"
    if t.languages and ctx.language and ctx.language not in t.languages:
        return f"language {ctx.language} not targeted"
    if ctx.sentiment and ctx.sentiment in t.exclude_sentiments:
        return f"excludes {ctx.sentiment} sentiment" + (" (read from the text)" if ctx.sentiment_read else "")
    category = next((x for x in ctx.categories if x in t.exclude_categories), None)
    if category:
        return f"excludes the category {category} ({_category_source(ctx, category)})"
    term = _excluded_term(campaign, ctx, text_words)
    if term:
        return f"excluded keyword '{term}'"
    if now is not None and t.per_reader:
        return reader_reason(campaign, ctx, now)
    return None


def _category_source(ctx: ArticleContext, category: str) -> str:
    read = dict(ctx.category_confidence).get(category, 0.0)
    return f"read from the text, {read:.2f}" if read >= CATEGORY_FLOOR else "sent by the publisher"


def split_eligible(
    campaigns: Iterable[Campaign], ctx: ArticleContext, today: date, now: datetime | None = None
) -> tuple[list[Campaign], list[Rejection]]:
    text_words = ctx.text_words()
    eligible: list[Campaign] = []
    rejected: list[Rejection] = []
    for c in campaigns:
        reason = rejection_reason(c, ctx, today, text_words, now)
        if reason is None:
            eligible.append(c)
        else:
            rejected.append(Rejection(c.id, reason))
    return eligible, rejected


def targeting_index(snapshot: CatalogSnapshot) -> TargetingIndex:
    """`snapshot.derived(targeting_index)`: the snapshot's eligibility index."""
    return TargetingIndex(snapshot.campaigns)


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
        self.excluding_category: dict[str, set[int]] = {}
        self.exclusion_by_term: dict[str, set[int]] = {}  # exact term (keyword/topic match)
        self.exclusion_by_word: dict[str, list[tuple[int, tuple[str, ...]]]] = {}  # first word -> phrase
        # Whether any campaign has rules on the reader (`reader_reason`): without, `decide` skips them.
        self.per_reader = any(c.targeting.per_reader for c in campaigns)
        for i, c in enumerate(campaigns):
            t = c.targeting
            _file(self.placement_free, self.by_placement, i, t.placements)
            _file(self.language_free, self.by_language, i, t.languages)
            for s in t.exclude_sentiments:
                self.excluding_sentiment.setdefault(s, set()).add(i)
            for x in t.exclude_categories:
                self.excluding_category.setdefault(x, set()).add(i)
            for term in t.exclude_keywords:
                self.exclusion_by_term.setdefault(term, set()).add(i)
                parts = tuple(term_words(term))
                if parts:
                    self.exclusion_by_word.setdefault(parts[0], []).append((i, parts))

    def serving(self, today: date) -> frozenset[int]:
        """Active, inside their dates, with a creative and something to spend (cached per day)."""
        got = self._serving.get(today)
        if got is None:
            got = frozenset(
                i
                for i, c in enumerate(self.campaigns)
                if c.status == "active" and c.runs_on(today) and c.creatives and not starts_spent(c)
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
        for x in ctx.categories:
            ok -= self.excluding_category.get(x, set())
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


# --- relevance: is the article about what the campaign targets? ------------------------------------------

MIN_RELEVANCE = 0.4  # default floor for a topic read from the text (chosen with bench/relevance.py)


@dataclass(frozen=True)
class Fit:
    """Whether a campaign's targeting matches an article, how, and in words (for `?explain=1`)."""

    eligible: bool
    how: str  # publisher topic | read from text | keyword | keyword meaning | run of site | house | no match
    topic: str = ""  # the targeted topic (or keyword) that matched best, or the topic the text reads as
    confidence: float = 1.0  # how sure the match is (1 for what the publisher said), 0..1
    floor: float = 0.0  # the confidence it needed
    said: str = ""  # the publisher's topic, as normalised

    @property
    def reason(self) -> str:
        """The fit in words, built only when someone reads it (explain), not on every decision."""
        c, f = self.confidence, self.floor
        if self.how == "house":
            return "house card: fills only when no paid campaign is eligible"
        if self.how == "run of site":
            return "untargeted: runs on any article"
        if self.how == "publisher topic":
            return f"publisher topic '{self.said}' is '{self.topic}'"
        if self.how == "read from text":
            return f"the text reads as '{self.topic}' ({c:.2f} >= {f:.2f})"
        if self.how == "keyword":
            return f"keyword '{self.topic}' in the article"
        if self.how == "keyword meaning":
            return f"text close to its keywords ({c:.2f})"
        if f == 0.0:  # nothing read the text: only the publisher's topic counted
            said = f"publisher topic '{self.said}'" if self.said else "no publisher topic"
            return f"{said}; targets {self.topic}"
        if self.topic:
            return f"the text reads as '{self.topic}' only {c:.2f} (< {f:.2f})"
        return f"no keyword in the article (meaning {c:.2f} < {f:.2f})"


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
    a campaign with many keywords costs a new article no more than one with few."""
    keywords = campaign.targeting.keywords
    hits = set(keywords.intersection(ctx.keywords))
    by_first_word = _keyword_phrases(keywords)
    for word in text_words:
        for term, parts in by_first_word.get(word, ()):
            if all(p in text_words for p in parts):
                hits.add(term)
    return min(hits) if hits else ""


Phrases = tuple[tuple[str, tuple[str, ...]], ...]  # (term, its words), for one first word


@lru_cache(maxsize=65536)
def _keyword_phrases(keywords: frozenset[str]) -> dict[str, Phrases]:
    """Each term under its first word, with all its words."""
    by_first: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for term in keywords:
        parts = tuple(term_words(term))
        if parts:
            by_first.setdefault(parts[0], []).append((term, parts))
    return {w: tuple(v) for w, v in by_first.items()}


class TopicReader(Protocol):
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
    """The reader that reads no text: only the publisher's topic (through the taxonomy) and keywords match.

    The serving reader (`adserver.model.reader.ModelReader`) adds what the text says; this one is what a
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
) -> Fit | None:
    """The targeting rules, in one place. `declared` is the taxonomy node of the publisher's topic; `read(c, tt)`
    gives the campaign's best topic and how sure the text is about it; `closeness(c)` how close the text is in
    meaning to its keywords (both absent when nothing reads the text). Without `misses`, a campaign that does
    not match gets None instead of its Fit (a decision needs only the matches; explain needs all)."""
    t = c.targeting
    if c.house:
        return Fit(True, "house")
    if t.topics:
        tt = topic_targets(t.topics)
        if ctx.topic in t.topics or declared in tt.covered:
            topic = (
                ctx.topic
                if ctx.topic in t.topics
                else next(x for x, n in zip(tt.topics, tt.nodes, strict=True) if n and declared in taxonomy().below(n))
            )
            return Fit(True, "publisher topic", topic, 1.0, 0.0, ctx.topic)
        floor = MIN_RELEVANCE if t.min_relevance is None else t.min_relevance
        if read is None:
            return Fit(False, "no match", ", ".join(tt.topics), 0.0, 0.0, ctx.topic) if misses else None
        topic, p = read(c, tt)
        if p >= floor:
            return Fit(True, "read from text", topic, p, floor, ctx.topic)
        return Fit(False, "no match", topic, p, floor, ctx.topic) if misses else None
    if t.keywords:
        hit = keyword_hit(c, ctx, text_words)
        if hit:
            return Fit(True, "keyword", hit, 1.0, 0.0, ctx.topic)
        floor = KEYWORD_MEANING if t.min_relevance is None else t.min_relevance
        near = closeness(c) if closeness is not None else 0.0
        if near >= floor:
            return Fit(True, "keyword meaning", "", near, floor, ctx.topic)
        return Fit(False, "no match", "", near, floor, ctx.topic) if misses else None
    return Fit(True, "run of site", confidence=0.0)


KEYWORD_MEANING = 0.5  # cosine of article and keywords for a keyword-only campaign without a keyword hit
