"""The decision core: a pure function of (context, catalog snapshot, ranker, budget gate).

The API, the CLI's `decide` and the benchmarks all call `decide`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from ..infra.ids import random_id
from .budget import BudgetGate, Unlimited
from .context import ArticleContext
from .eligibility import Rejection, reader_reason, site_reason, split_eligible, targeting_index
from .matching import DeclaredTopics, Fit, Matcher
from .plans import Plan, plan_cache
from .ranking import OverlapRanker, Ranker, Scored
from .snapshot import Campaign, CatalogSnapshot, Creative
from .taxonomy import reported_topic

if TYPE_CHECKING:
    from ..events.event import Event


_RNG = random.Random()  # creative rotation; seeding a fresh generator per decision costs more than the decision


@dataclass(frozen=True)
class Decision:
    id: str
    context: ArticleContext
    campaign: Campaign
    creative: Creative
    hook_variant: str
    hook: str
    score: float
    scored: Scored
    created_at: datetime
    match: Fit | None = None  # how the campaign's targeting matched the article (topic, confidence)

    @property
    def tracking_ids(self) -> tuple[str, ...]:
        """What its view and click URLs carry (`tracking.Tracker.token`)."""
        return (
            self.id,
            self.campaign.id,
            self.creative.id,
            self.context.placement,
            self.context.topic,
            self.hook_variant,
            self.context.site,
            "u" if self.context.unknown_page else "b",  # signed: the page's events stay unbilled
        )


@dataclass(frozen=True)
class Outcome:
    """What `decide` saw: the decision (None when nothing is eligible) and everything ranked or refused."""

    decision: Decision | None
    ranked: list[Scored] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    ranker: str = ""
    recorded: bool = False  # the budget gate already queued the impression event (one round trip)
    fits: dict[str, Fit] = field(default_factory=dict)  # with explain: each campaign's targeting match
    article: ArticleContext | None = None  # with explain: the article with what was read from it (`_read`)
    plan: Plan | None = None  # the article's plan (the reach forecast counts a decision under it)


def pick_creative(campaign: Campaign, ctx: ArticleContext, rng: random.Random) -> Creative:
    """A creative with a hook written for this topic beats the others; ties rotate."""
    if ctx.topic:
        fitting = [c for c in campaign.creatives if ctx.topic in c.hook_variants]
        if fitting:
            return rng.choice(fitting)
    return rng.choice(campaign.creatives) if len(campaign.creatives) > 1 else campaign.creatives[0]


def counted_context(ctx: ArticleContext, ranker: Ranker) -> ArticleContext:
    """The context an impression is recorded with: its topic is the taxonomy node of the publisher's topic,
    else of the one a ranker that reads the article names (`reported_topic`: so its impressions and clicks are
    counted, reported and learned per topic, and no free text reaches a report)."""
    topic = reported_topic(ctx.topic or ranker.context_topic(ctx))
    return ctx if topic == ctx.topic else replace(ctx, topic=topic)


def decide(
    ctx: ArticleContext,
    snapshot: CatalogSnapshot,
    ranker: Ranker | None = None,
    budget: BudgetGate | None = None,
    today: date | None = None,
    rng: random.Random | None = None,
    explain: bool = False,
    exclude_advertisers: frozenset[str] = frozenset(),
    impression: Callable[[Decision], Event] | None = None,
    matcher: Matcher | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Choose the card for `ctx`. With `explain`, every campaign is checked so that each
    rejection has its reason; without, indexes skip campaigns that cannot be eligible or relevant
    (same decision, a fraction of the work on large catalogs), and the per-article part of the work
    is reused for every reader of the same article (`adserver.serving.plans`).

    `budget` picks the winner among the ranked contenders (`budget.BudgetGate`); `impression` builds the
    impression event of a candidate decision, which a gate that can (`RedisBudget`) queues in the same
    round trip as it books the winner, saying so in `Outcome.recorded`.

    `matcher` says which campaigns the article is about (`matching.fit`'s rules); without one only the
    publisher's topic and keywords match."""
    ranker = ranker or _OVERLAP
    matcher = matcher or _DECLARED
    budget = budget or _UNLIMITED
    rng = rng or _RNG
    now = now or datetime.now(UTC)  # the reader's time: a campaign's schedule is checked against it
    day = today or now.date()
    build = _explain_plan if explain else _plan
    plan = build(ctx, snapshot, ranker, matcher, day, exclude_advertisers)
    ranked = ranker.finish(plan.prepared, explain) if plan.prepared is not None else []
    contenders = plan.contenders(ranked, lambda r: _contenders(r, plan.fits))
    rejected = list(plan.rejected)
    # The rules on the reader and on the page's site are per request: in no plan, cached or not.
    index = snapshot.derived(targeting_index)
    if index.per_reader:
        contenders = [s for s in contenders if _for_reader(s.campaign, ctx, now, rejected)]
    if index.per_site:
        on = ctx if not ctx.categories and not plan.ctx.categories else replace(ctx, categories=plan.ctx.categories)
        contenders = [s for s in contenders if _on_site(s.campaign, on, snapshot, rejected)]
    if explain and len(contenders) < len(ranked):  # a candidate is one the request could have served
        kept = {s.campaign.id for s in contenders}
        ranked = [s for s in ranked if s.campaign.id in kept]
    shown = plan.ctx if explain else None
    if not contenders:
        return Outcome(None, ranked, rejected, ranker.name, fits=plan.fits, article=shown, plan=plan)
    counted = ctx if plan.counted_topic == ctx.topic else replace(ctx, topic=plan.counted_topic)
    built: dict[int, Decision] = {}

    def candidate(i: int) -> Decision:
        if i not in built:
            built[i] = _decision(contenders[i], ctx, counted, ranker, rng, now, plan)
        return built[i]

    record = (lambda i: impression(candidate(i))) if impression is not None else None
    winner, refused, recorded = budget.choose([s.campaign for s in contenders], record, ctx.reader)
    rejected += [Rejection(cid, why) for cid, why in refused.items()]
    if winner is None:
        return Outcome(None, ranked, rejected, ranker.name, fits=plan.fits, article=shown, plan=plan)
    return Outcome(candidate(winner), ranked, rejected, ranker.name, recorded, plan.fits, shown, plan)


_OVERLAP = OverlapRanker()
_UNLIMITED = Unlimited()
_DECLARED = DeclaredTopics()


def _read(ctx: ArticleContext, snapshot: CatalogSnapshot, matcher: Matcher) -> ArticleContext:
    """The article as its exclusion rules see it: the sentiment and sensitive categories read from its text,
    when some campaign excludes them (once per article: with its plan)."""
    index = snapshot.derived(targeting_index)
    sentiment = bool(index.excluding_sentiment) and not ctx.sentiment
    categories = bool(index.excluding_category) or index.sites_exclude_categories
    return matcher.annotate(ctx, sentiment, categories) if sentiment or categories else ctx


def _for_reader(c: Campaign, ctx: ArticleContext, now: datetime, rejected: list[Rejection]) -> bool:
    """The rules on the reader (device, country, schedule), applied per request: they are in no plan."""
    why = reader_reason(c, ctx, now) if c.targeting.per_reader else None
    if why is not None:
        rejected.append(Rejection(c.id, why))
    return why is None


def _on_site(c: Campaign, ctx: ArticleContext, snapshot: CatalogSnapshot, rejected: list[Rejection]) -> bool:
    """The page's site's rules and the campaign's sites (`eligibility.site_reason`), applied per request."""
    why = site_reason(c, ctx, snapshot.sites.get(ctx.site))
    if why is not None:
        rejected.append(Rejection(c.id, why))
    return why is None


def _eligible(
    ctx: ArticleContext, snapshot: CatalogSnapshot, matcher: Matcher, day: date, exclude: frozenset[str]
) -> tuple[list[Campaign], dict[str, Fit]]:
    """The hard rules (`TargetingIndex`), then whether the article is about what each campaign targets:
    the campaigns that match, and how."""
    ids = snapshot.derived(targeting_index).eligible(ctx, day, ctx.text_words())
    eligible = [snapshot.campaigns[i] for i in sorted(ids)]
    if exclude:  # sponsors already on this page (several slots, one page)
        eligible = [c for c in eligible if c.advertiser_id not in exclude]
    matched = [(c, f) for c, f in zip(eligible, matcher.fits(ctx, eligible, misses=False), strict=True) if f]
    return [c for c, _ in matched], {c.id: f for c, f in matched}


def _plan(
    ctx: ArticleContext,
    snapshot: CatalogSnapshot,
    ranker: Ranker,
    matcher: Matcher,
    day: date,
    exclude: frozenset[str],
) -> Plan:
    """The article's plan, cached on the snapshot: only what matched, found through the indexes."""
    key = (ctx.content_key, day, exclude, ranker.plan_key(), matcher.plan_key())
    plans = snapshot.derived(plan_cache)
    plan = plans.get(key)
    if plan is None:
        read = _read(ctx, snapshot, matcher)
        eligible, matched = _eligible(read, snapshot, matcher, day, exclude)
        prepared = ranker.prepare(ctx, eligible, snapshot) if eligible else None
        plan = Plan(read, eligible, prepared, counted_context(ctx, ranker).topic, matched)
        plans.put(key, plan)
    return plan


def _explain_plan(
    ctx: ArticleContext,
    snapshot: CatalogSnapshot,
    ranker: Ranker,
    matcher: Matcher,
    day: date,
    exclude: frozenset[str],
) -> Plan:
    """The same plan built the long way, never cached: everything read from the article, every campaign
    checked in words (`rejection_reason`), every fit kept, so that each refusal and each miss says why."""
    read = matcher.annotate(ctx, not ctx.sentiment, True)
    eligible, rejected = split_eligible(snapshot.campaigns, read, day)
    if exclude:
        eligible = [c for c in eligible if c.advertiser_id not in exclude]
    fits = {c.id: f for c, f in zip(eligible, matcher.fits(read, eligible), strict=True)}
    misses = [c for c in eligible if not fits[c.id].eligible]
    rejected += [Rejection(c.id, "not about its targeting: " + fits[c.id].reason) for c in misses]
    eligible = [c for c in eligible if fits[c.id].eligible]
    prepared = ranker.prepare(ctx, eligible, snapshot) if eligible else None
    return Plan(read, eligible, prepared, counted_context(ctx, ranker).topic, fits, tuple(rejected))


MATCH_WEIGHT = 1.0  # how much the reader's confidence counts beside the ranker's score (bench/model_eval.py)


def _contenders(ranked: list[Scored], matched: dict[str, Fit]) -> list[Scored]:
    # Every ranked campaign is eligible (it matches the article). Paid before house; then priority tiers
    # order the eligible, and relevance decides within a tier: the ranker's score (text, keywords, CTR)
    # plus how sure the matcher is that the article is about what the campaign targets.
    def key(s: Scored) -> tuple:
        f = matched.get(s.campaign.id)
        match = f.confidence if f is not None else 0.0
        return (s.campaign.house, -s.campaign.priority, -(s.score + MATCH_WEIGHT * match), s.campaign.id)

    return sorted(ranked, key=key)


def _decision(
    best: Scored,
    ctx: ArticleContext,
    counted: ArticleContext,
    ranker: Ranker,
    rng: random.Random,
    now: datetime,
    plan: Plan,
) -> Decision:
    # The hook speaks to what the reader just read: the targeted topic the article matched, when a creative
    # has a variant for it; else a ranker that reads the article may name the variant that fits it.
    hook_ctx = ctx
    fit = plan.fits.get(best.campaign.id)
    topic = fit.topic if fit is not None else ctx.topic
    if topic != ctx.topic and any(topic in c.hook_variants for c in best.campaign.creatives):
        hook_ctx = replace(ctx, topic=topic)
    else:
        topic = plan.variant(best.campaign, ranker.variant_topic)
        if topic != ctx.topic:
            hook_ctx = replace(ctx, topic=topic)
    creative = pick_creative(best.campaign, hook_ctx, rng)
    variant, hook = creative.hook_for(hook_ctx.topic)
    return Decision(
        id=random_id(),
        context=counted,
        campaign=best.campaign,
        creative=creative,
        hook_variant=variant,
        hook=hook,
        score=best.score,
        scored=best,
        created_at=now,
        match=fit,
    )
