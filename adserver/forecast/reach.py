"""The forecast itself: a campaign matched against the window of recorded decisions with the serving rules.

Articles are matched one by one, as a decision would (`eligibility.rejection_reason`, `eligibility.site_reason`,
`matching.fit`); the readers' rules (`eligibility.schedule_reason`, `device_reason`, `country_reason`) are applied
to the audience counted per hour, country and device. The two meet per site, placement and topic: within one,
the readers of the matching articles are taken to be spread as that topic's readers are.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from ..serving.context import ArticleContext
from ..serving.eligibility import country_reason, device_reason, rejection_reason, schedule_reason, site_reason
from ..serving.matching import fit
from ..serving.sites import Site
from ..serving.snapshot import Campaign
from ..serving.taxonomy import taxonomy
from .store import ArticleRow, AudienceRow, Window

Bucket = tuple[str, str, str]  # (site, placement, counted topic)

# What the figure leaves out or simplifies, said to whoever reads it (by the targeting they apply to).
ALWAYS = (
    "Impressions the targeting matches, not those it would win: budgets, pacing, frequency caps and the campaigns "
    "competing for the same articles decide how many of them serve."
)
READ_TOPIC = (
    "Where the publisher named no topic, the topic read from the article's text counts as if it had, whatever the "
    "reading's confidence (min_relevance is not applied)."
)
KEYWORDS = (
    "Keywords count where an article names them (its keywords, title or summary); articles close to them in "
    "meaning only are not counted."
)
READERS = (
    "Readers' countries, devices and hours are taken to be spread alike over the articles of one topic on one "
    "placement."
)
TONE = "An article's tone and sensitive categories are as read when it was served."


@dataclass(frozen=True)
class Forecast:
    expected: int  # matching impressions per day: the mean over the window's days
    low: int  # the 10th percentile of the window's days
    high: int  # the 90th percentile
    days: int  # the days of recorded decisions read (0: none yet)
    first_day: date | None
    last_day: date | None
    competing: int  # other campaigns eligible on the same articles and readers at the same or a higher tier
    approximations: tuple[str, ...]


@dataclass(frozen=True)
class _Article:
    row: ArticleRow
    ctx: ArticleContext
    declared: str
    words: set[str]


def forecast(
    campaign: Campaign,
    window: Window,
    competitors: tuple[Campaign, ...],
    sites: dict[str, Site],
    today: date,
) -> Forecast:
    """`campaign`'s matching impressions per day over `window`, and how many of `competitors` (paid campaigns at
    its tier or above) are eligible on some of the same articles and readers on `today`."""
    articles = [_article(a) for a in window.articles]
    total: dict[Bucket, int] = defaultdict(int)
    for a in articles:
        total[_bucket(a.row)] += a.row.decisions
    on_article = _article_rule(campaign, sites, today)
    matched: dict[Bucket, list[_Article]] = defaultdict(list)
    for a in articles:
        if on_article(a):
            matched[_bucket(a.row)].append(a)
    share = {b: sum(a.row.decisions for a in got) / total[b] for b, got in matched.items()}
    on_reader = _reader_rule(campaign) if campaign.targeting.per_reader else None
    per_day = dict.fromkeys(window.days, 0.0)
    reached: dict[Bucket, list[AudienceRow]] = {}
    for b, s in share.items():
        rows = window.by_bucket.get(b, [])
        if on_reader is None:
            for r in rows:
                per_day[r.day] += r.decisions * s
            reached[b] = rows
            continue
        reached[b] = got = []
        for r in rows:
            part = on_reader(r)
            if part:
                per_day[r.day] += r.decisions * s * part
                got.append(r)
    days = sorted(per_day.values())
    low, high = _spread(days)
    competing = sum(1 for c in competitors if _competes(c, matched, reached, sites, today))
    return Forecast(
        expected=round(statistics.fmean(days)) if days else 0,
        low=round(low),
        high=round(high),
        days=len(days),
        first_day=window.days[0] if window.days else None,
        last_day=window.days[-1] if window.days else None,
        competing=competing,
        approximations=_approximations(campaign),
    )


def rivals(campaign: Campaign, campaigns: tuple[Campaign, ...]) -> tuple[Campaign, ...]:
    """The campaigns that take an article before `campaign` or with it: paid ones at its priority or above."""
    return tuple(c for c in campaigns if c.id != campaign.id and not c.house and c.priority >= campaign.priority)


def _article(row: ArticleRow) -> _Article:
    ctx = row.reading.context(row.site, row.placement)
    return _Article(row, ctx, taxonomy().resolve(ctx.topic), ctx.text_words())


def _bucket(row: ArticleRow) -> Bucket:
    return (row.site, row.placement, row.reading.counted)


def _article_rule(c: Campaign, sites: dict[str, Site], today: date) -> Callable[[_Article], bool]:
    """Whether `c` may serve on an article and is about it: the hard rules, the site's, then the match."""

    def ok(a: _Article) -> bool:
        if rejection_reason(c, a.ctx, today, a.words) is not None:
            return False
        if site_reason(c, a.ctx, sites.get(a.ctx.site)) is not None:
            return False
        f = fit(c, a.ctx, a.declared, a.words, misses=False)
        return f is not None and f.eligible

    return ok


def _reader_rule(c: Campaign) -> Callable[[AudienceRow], float]:
    """The share of an audience row's decisions `c` may serve: 0 or 1 by device and country, and by schedule the
    share of the hour's quarters it runs in (its own clock may be offset by a half or a quarter of an hour)."""
    schedule = c.targeting.schedule
    who: dict[tuple[str, str], bool] = {}
    when: dict[tuple[date, int], float] = {}

    def share(r: AudienceRow) -> float:
        ok = who.get((r.country, r.device))
        if ok is None:
            ok = who[(r.country, r.device)] = not device_reason(c, r.device) and not country_reason(c, r.country)
        if not ok:
            return 0.0
        if schedule is None:
            return 1.0
        part = when.get((r.day, r.hour))
        if part is None:
            start = datetime(r.day.year, r.day.month, r.day.day, r.hour, tzinfo=UTC)
            quarters = (start + timedelta(minutes=15 * q) for q in range(4))
            part = when[(r.day, r.hour)] = sum(schedule_reason(c, t) is None for t in quarters) / 4
        return part

    return share


def _competes(
    other: Campaign,
    matched: dict[Bucket, list[_Article]],
    reached: dict[Bucket, list[AudienceRow]],
    sites: dict[str, Site],
    today: date,
) -> bool:
    """Whether `other` is eligible on one of the articles matched and for some of the readers reached."""
    on_article, on_reader = _article_rule(other, sites, today), _reader_rule(other)
    for b, rows in reached.items():
        if any(on_article(a) for a in matched[b]) and any(on_reader(r) for r in rows):
            return True
    return False


def _spread(days: list[float]) -> tuple[float, float]:
    if not days:
        return 0.0, 0.0
    if len(days) == 1:
        return days[0], days[0]
    deciles = statistics.quantiles(days, n=10, method="inclusive")
    return deciles[0], deciles[-1]


def _approximations(c: Campaign) -> tuple[str, ...]:
    t = c.targeting
    out = [ALWAYS]
    if t.topics:
        out.append(READ_TOPIC)
    if t.keywords:
        out.append(KEYWORDS)
    if t.per_reader:
        out.append(READERS)
    if t.exclude_sentiments or t.exclude_categories:
        out.append(TONE)
    return tuple(out)
