"""The forecast itself: a campaign matched against the window of recorded decisions with the serving rules.

Articles are matched one by one, as a decision would (`eligibility.rejection_reason`, `eligibility.site_reason`,
`matching.fit`); the readers' rules (`eligibility.device_reason`, `country_reason` and the schedule's own table)
are applied to the audience counted per hour, country and device, a bucket at a time. The two meet per site,
placement and topic: within one, the readers of the matching articles are taken to be spread as its readers are.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import numpy as np

from ..serving.eligibility import (
    country_reason,
    device_reason,
    rejection_reason,
    site_reason,
    targeting_index,
)
from ..serving.matching import fit
from ..serving.snapshot import Campaign, CatalogSnapshot
from .store import Article, Columns, Window

Bucket = tuple[str, str, str]  # (site, placement, counted topic)
# The competition is looked for on this many of the matching articles, the most read first: a campaign that
# shares none of them shares too little to count, and a catalog of a thousand campaigns stays quick to check.
COMPETITION_ARTICLES = 300

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


def forecast(campaign: Campaign, window: Window, snapshot: CatalogSnapshot, today: date) -> Forecast:
    """`campaign`'s matching impressions per day over `window`, and how many of the snapshot's paid campaigns at
    its tier or above (`rivals`) are eligible on `today` on some of the same articles and readers."""
    total: dict[Bucket, int] = defaultdict(int)
    matched: dict[Bucket, list[Article]] = defaultdict(list)
    for a in window.read:
        total[a.bucket] += a.row.decisions
        if _on_article(campaign, a, snapshot, today):
            matched[a.bucket].append(a)
    reader = _ReaderShare(campaign, window)
    per_day = np.zeros(len(window.days))
    reached: dict[Bucket, np.ndarray] = {}  # per bucket, which of its rows the campaign may serve
    for b, got in matched.items():
        rows = window.by_bucket.get(b)
        if rows is None:
            continue
        share = sum(a.row.decisions for a in got) / total[b]
        part = reader.of(rows)
        per_day += np.bincount(rows.day, weights=rows.decisions * share * part, minlength=len(window.days))
        reached[b] = part > 0
    days = sorted(per_day.tolist())
    low, high = _spread(days)
    return Forecast(
        expected=round(statistics.fmean(days)) if days else 0,
        low=round(low),
        high=round(high),
        days=len(days),
        first_day=window.days[0] if window.days else None,
        last_day=window.days[-1] if window.days else None,
        competing=_competing(campaign, window, snapshot, today, matched, reached),
        approximations=_approximations(campaign),
    )


def rivals(campaign: Campaign, campaigns: tuple[Campaign, ...]) -> set[int]:
    """Indexes of the campaigns that take an article before `campaign` or with it: paid ones at its priority or
    above (itself, when it is one being edited, aside)."""
    return {
        i for i, c in enumerate(campaigns) if c.id != campaign.id and not c.house and c.priority >= campaign.priority
    }


def _on_article(c: Campaign, a: Article, snapshot: CatalogSnapshot, today: date) -> bool:
    """Whether `c` may serve on an article and is about it: the hard rules, the site's, then the match."""
    if rejection_reason(c, a.ctx, today, a.words) is not None:
        return False
    if site_reason(c, a.ctx, snapshot.sites.get(a.ctx.site)) is not None:
        return False
    f = fit(c, a.ctx, a.declared, a.words, misses=False)
    return f is not None and f.eligible


class _ReaderShare:
    """The share of each audience row a campaign may serve: 0 or 1 by device and country, and by schedule the
    share of the hour's quarters it runs in (its own clock may be offset by a half or a quarter of an hour)."""

    def __init__(self, c: Campaign, window: Window):
        self.by_country = np.array([not country_reason(c, x) for x in window.countries], dtype=float)
        self.by_device = np.array([not device_reason(c, x) for x in window.devices], dtype=float)
        schedule = c.targeting.schedule
        if schedule is None or not window.days:  # no days recorded yet: nothing to share out
            self.by_hour = np.ones((len(window.days), 24))
        else:  # the table `schedule_reason` looks its minute up in (`Schedule.runs_at`), a UTC day at a time
            steps = np.array([schedule.quarters(d) for d in window.days], dtype=float).reshape(len(window.days), 24, -1)
            self.by_hour = steps.mean(axis=2)

    def of(self, rows: Columns) -> np.ndarray:
        return self.by_country[rows.country] * self.by_device[rows.device] * self.by_hour[rows.day, rows.hour]


def _competing(
    campaign: Campaign,
    window: Window,
    snapshot: CatalogSnapshot,
    today: date,
    matched: dict[Bucket, list[Article]],
    reached: dict[Bucket, np.ndarray],
) -> int:
    """How many rivals are eligible on one of the most read matching articles, for some of the readers the
    campaign reaches there. The hard rules go by the serving index (set algebra), the rest one by one."""
    left = rivals(campaign, snapshot.campaigns)
    found = 0
    index = snapshot.derived(targeting_index)
    shown = [a for b, got in matched.items() if b in reached and reached[b].any() for a in got]
    shown.sort(key=lambda a: -a.row.decisions)
    readers: dict[int, _ReaderShare] = {}
    for a in shown[:COMPETITION_ARTICLES]:
        if not left:
            break
        rows, ours = window.by_bucket[a.bucket], reached[a.bucket]
        for i in sorted(index.eligible(a.ctx, today, a.words) & left):
            c = snapshot.campaigns[i]
            if not _on_article(c, a, snapshot, today):
                continue
            theirs = readers.get(i)
            if theirs is None:
                theirs = readers[i] = _ReaderShare(c, window)
            if (ours & (theirs.of(rows) > 0)).any():
                left.discard(i)
                found += 1
    return found


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
