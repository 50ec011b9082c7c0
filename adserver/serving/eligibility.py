"""Eligibility: the hard rules a campaign must pass before relevance is even considered (`matching`).

Written once per rule as `rejection_reason` (the reason in words, for explain) and once as `TargetingIndex`
(set algebra over a snapshot, for the hot path); a test holds the two equal on every campaign."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from .budget import starts_spent
from .context import ArticleContext
from .safety import CATEGORY_FLOOR
from .sites import Site
from .snapshot import Campaign, CatalogSnapshot
from .text import phrase_index, phrases_in


@dataclass(frozen=True)
class Rejection:
    campaign_id: str
    reason: str


def _excluded_term(campaign: Campaign, ctx: ArticleContext, text_words: set[str]) -> str | None:
    """An excluded keyword found in the article's keywords, topic, title or summary."""
    excluded = campaign.targeting.exclude_keywords
    if not excluded:
        return None
    for term in sorted(excluded):
        if term in ctx.keywords or term == ctx.topic:
            return term
    found = phrases_in(phrase_index(excluded), text_words)
    return min(found) if found else None


def reader_reason(campaign: Campaign, ctx: ArticleContext, now: datetime) -> str | None:
    """Why this campaign may not serve this reader now (device, country, schedule), or None when it may.
    These rules depend on the request, not the article: `decide` applies them after the article's plan."""
    return (
        schedule_reason(campaign, now) or device_reason(campaign, ctx.device) or country_reason(campaign, ctx.country)
    )


# The three rules on the reader, one by one: the forecast (`adserver.forecast.reach`) applies each to its own
# dimension of the recorded decisions.
def schedule_reason(campaign: Campaign, now: datetime) -> str | None:
    t = campaign.targeting
    if t.schedule is not None and not t.schedule.runs_at(now):
        return f"outside its schedule ({t.schedule.local(now)})"
    return None


def device_reason(campaign: Campaign, device: str) -> str | None:
    t = campaign.targeting
    if t.devices and device not in t.devices:
        return f"device {device or 'unknown'} not targeted"
    return None


def country_reason(campaign: Campaign, country: str) -> str | None:
    t = campaign.targeting
    if t.geo:
        if not country:
            return "the reader's country is unknown (no header, private or unlisted address): geo-targeted"
        if country in t.exclude_countries:
            return f"country {country} excluded"
        if t.in_countries and country not in t.in_countries:
            return f"country {country} not targeted"
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
    return TargetingIndex(snapshot.campaigns, tuple(snapshot.sites.values()))


class TargetingIndex:
    """Eligibility by set algebra over one snapshot's campaigns, for the hot path.

    Equivalent to `rejection_reason(...) is None` for every campaign (a test checks this), but costs
    a few set operations instead of a loop over the whole catalog.
    """

    def __init__(self, campaigns: tuple[Campaign, ...], sites: tuple[Site, ...] = ()):
        self.campaigns = campaigns
        self.all = frozenset(range(len(campaigns)))
        self._serving: dict[date, frozenset[int]] = {}
        self.placement_free: set[int] = set()
        self.by_placement: dict[str, set[int]] = {}
        self.language_free: set[int] = set()
        self.by_language: dict[str, set[int]] = {}
        self.excluding_sentiment: dict[str, set[int]] = {}
        self.excluding_category: dict[str, set[int]] = {}
        self.exclusion_by_term: dict[str, set[int]] = {}  # the campaigns excluding each term
        # Whether any campaign has rules on the reader (`reader_reason`): without, `decide` skips them.
        self.per_reader = any(c.targeting.per_reader for c in campaigns)
        # Whether a site has rules or a campaign names sites (`site_reason`): without, `decide` skips them.
        self.per_site = any(x.rules for x in sites) or any(
            c.targeting.sites or c.targeting.exclude_sites for c in campaigns
        )
        self.sites_exclude_categories = any(x.exclude_categories for x in sites)  # read the article's, then
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
        self.exclusion_phrases = phrase_index(frozenset(self.exclusion_by_term))

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
        if self.exclusion_by_term:
            for term in {*ctx.keywords, ctx.topic} | phrases_in(self.exclusion_phrases, text_words):
                ok -= self.exclusion_by_term.get(term, set())
        return ok


def _file(free: set[int], by_value: dict[str, set[int]], i: int, values: frozenset[str]) -> None:
    if not values:
        free.add(i)
    for v in values:
        by_value.setdefault(v, set()).add(i)


def site_reason(campaign: Campaign, ctx: ArticleContext, site: Site | None) -> str | None:
    """Why `campaign` may not serve on this request's site (`ctx.site`), or None when it may. `site` is that
    site when the catalog knows it (None for an unknown site id: its page bills nothing, and it has no rules)."""
    t = campaign.targeting
    if t.sites and ctx.site not in t.sites:
        return f"site {ctx.site} not targeted"
    if ctx.site in t.exclude_sites:
        return f"site {ctx.site} excluded"
    if site is None:
        return None
    if site.placements and ctx.placement not in site.placements:
        return f"site {site.id} has no placement {ctx.placement}"
    if campaign.advertiser_id in site.blocked_advertisers:
        return f"site {site.id} blocks advertiser {campaign.advertiser_id}"
    category = next((x for x in ctx.categories if x in site.exclude_categories), None)
    if category:
        return f"site {site.id} excludes the category {category}"
    return None
