"""Reports: pure queries over `daily_rollups` joined to `campaigns`, their advertisers and sites.

The API (`GET /v1/reports`), the `/reports` page, the CLI's `adserver report` and the benchmark all call
`run_report`; isolation is applied here: an advertiser sees only its own campaigns, a publisher only its site.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import case, func, select

from ..errors import InvalidContext, NotFound, Refusal
from ..infra import counters, storage

# The rollup's dimensions (day, campaign, creative, placement, topic, country, device, site), and the
# campaign's advertiser (a publisher's view of who bought its pages).
GROUPS = (*counters.DIMENSIONS, "advertiser")
MAX_DAYS = 366
APART = counters.APART  # never billed, each kind in its own column (`counters`)
BILLABLE = ("impressions", "viewable_impressions", "view_rate", "clicks", "ctr")
METRICS = (*BILLABLE, "spend", *APART)  # as an advertiser sees them
# Who reads a report decides its money columns: an advertiser its spend, a publisher its earnings (its site's
# revenue share of the spend; never the spend itself), an operator both.
VIEWERS = {
    "advertiser": METRICS,
    "publisher": (*BILLABLE, "earnings", *APART),
    "operator": (*BILLABLE, "spend", "earnings", *APART),
}
SITES_BEYOND_CATALOG = (counters.DEFAULT_SITE, counters.UNKNOWN)  # what rollups name pages of no catalog site
_R = storage.DailyRollup
_COLUMNS = {group: _R.__table__.c[column] for group, column in counters.DIMENSIONS.items()}
_COLUMNS["advertiser"] = storage.Campaign.advertiser_id


@dataclass(frozen=True)
class ReportQuery:
    """What to report: a UTC date range (inclusive), the grouping, whose data, and for whom.

    A publisher's query names its site (`site_id`); its `advertiser_id` and `campaign_id` only narrow that site's
    figures, and one never seen on the site is NotFound, as another advertiser's campaign is to an advertiser."""

    start: date
    end: date
    group_by: tuple[str, ...] = ("day",)
    advertiser_id: str | None = None  # None: every advertiser (operator, publisher)
    campaign_id: str | None = None
    site_id: str | None = None  # None: every site
    viewer: str = "advertiser"  # one of VIEWERS

    def __post_init__(self) -> None:
        if self.viewer not in VIEWERS or (self.viewer == "publisher" and self.site_id is None):
            raise ValueError(f"a {self.viewer!r} report of site {self.site_id!r}")  # a caller's mistake
        fields: dict[str, list[str]] = {}
        if self.end < self.start:
            fields["to"] = [Refusal("Must not be before `from`.")]
        elif (self.end - self.start).days + 1 > MAX_DAYS:
            fields["to"] = [Refusal(f"The range is at most {MAX_DAYS} days.")]
        bad = [g for g in self.group_by if g not in GROUPS]
        if bad:
            fields["group_by"] = [f"Unknown {', '.join(bad)}; use any of: {', '.join(GROUPS)}."]
        elif len(set(self.group_by)) != len(self.group_by):
            fields["group_by"] = [Refusal("Each grouping at most once.")]
        if fields:
            raise InvalidContext("invalid report query", fields)

    @property
    def metrics(self) -> tuple[str, ...]:
        return VIEWERS[self.viewer]


@dataclass(frozen=True)
class Report:
    query: ReportQuery
    rows: list[dict]
    totals: dict
    data_as_of: datetime | None  # the newest event persisted in the report's scope, in UTC
    advertiser_name: str | None = None  # None: every advertiser
    currency: str | None = None  # of `spend`; None when the advertiser in scope pay in different currencies
    site_name: str | None = None  # None: every site (or a site the catalog does not have: `default`, `unknown`)
    currencies: tuple[str, ...] = ()  # the keys of each `earnings`: one amount per currency, never added together

    @property
    def columns(self) -> list[str]:
        """The CSV's columns: `earnings` is one column per currency (`earnings_EUR`)."""
        flat = [m for metric in self.query.metrics for m in self._expand(metric)]
        return [*self.query.group_by, *flat]

    def _expand(self, metric: str) -> list[str]:
        return [f"earnings_{c}" for c in self.currencies] if metric == "earnings" else [metric]

    def flat(self, row: dict) -> dict:
        """A row (or the totals) by `columns`, its earnings one value per currency."""
        earned = {f"earnings_{c}": v for c, v in row.get("earnings", {}).items()}
        return {c: row[c] if c in row else earned.get(c, "") for c in self.columns}


def parse_group_by(raw: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """`"day,campaign"` or `["day", "campaign"]` -> ("day", "campaign"); empty means no grouping."""
    if raw is None:
        return ("day",)
    parts = raw.split(",") if isinstance(raw, str) else [p for r in raw for p in r.split(",")]
    return tuple(p.strip() for p in parts if p.strip())


def metrics(
    imp: int,
    views: int,
    clicks: int,
    spend: Decimal | float,
    apart: dict[str, int],
    earnings: dict[str, float] | None = None,
) -> dict:
    """One row's figures and the rates derived from them (reports and the advertiser's delivery)."""
    return {
        "impressions": imp,
        "viewable_impressions": views,
        "view_rate": round(views / imp, 4) if imp else 0.0,
        "clicks": clicks,
        "ctr": round(clicks / imp, 4) if imp else 0.0,
        "spend": round(float(spend or 0), 4),
        "earnings": {c: round(float(v or 0), 4) for c, v in (earnings or {}).items()},
        **{k: apart.get(k, 0) for k in APART},
    }


def _shown(q: ReportQuery, row: dict) -> dict:
    """The row as the query's viewer may see it: a publisher no spend, an advertiser no earnings."""
    keep = set(q.group_by) | set(q.metrics)
    return {k: v for k, v in row.items() if k in keep}


def _on_site(site_id: str, campaigns):
    """Whether any of `campaigns` (ids, or a subquery of them) has ever been counted on the site, any day."""
    return select(_R.campaign_id).where(_R.site == site_id, _R.campaign_id.in_(campaigns)).limit(1)


def _check_scope(s, q: ReportQuery) -> None:
    """NotFound for a campaign, advertiser or site the viewer may not name: the same answer as for a missing one."""
    c = storage.Campaign
    if q.campaign_id is not None:
        if q.viewer == "publisher":
            hidden = s.scalar(_on_site(q.site_id, [q.campaign_id])) is None
        else:
            owner = s.scalar(select(c.advertiser_id).where(c.id == q.campaign_id))
            hidden = owner is None or (q.advertiser_id is not None and owner != q.advertiser_id)
        if hidden:
            raise NotFound(f"no campaign {q.campaign_id!r}")
    if q.viewer == "publisher" and q.advertiser_id is not None:
        if s.scalar(_on_site(q.site_id, select(c.id).where(c.advertiser_id == q.advertiser_id))) is None:
            raise NotFound(f"no advertiser {q.advertiser_id!r}")
    if q.viewer != "publisher" and q.site_id is not None and q.site_id not in SITES_BEYOND_CATALOG:
        if s.get(storage.Site, q.site_id) is None:
            raise NotFound(f"no site {q.site_id!r}")


def run_report(db: storage.Database, q: ReportQuery) -> Report:
    """The grouped rows and the totals for `q`; a campaign, advertiser or site not visible to the viewer is
    NotFound. Earnings are each site's revenue share (as the catalog has it now) of the spend on its pages, summed
    per advertiser currency in columns of their own (one `CASE` each: cheaper than grouping by currency), never
    added across currencies."""
    with db.sessionmaker() as s:
        _check_scope(s, q)
        scope = select(storage.Advertiser.currency).distinct().order_by(storage.Advertiser.currency)
        if q.advertiser_id is not None:
            scope = scope.where(storage.Advertiser.id == q.advertiser_id)
        in_scope = s.scalars(scope).all()
        earns = in_scope if "earnings" in q.metrics else []
        result = s.execute(_statement(q, earns)).all()
        as_of = s.scalar(_as_of(q))
        name = s.scalar(select(storage.Advertiser.name).where(storage.Advertiser.id == q.advertiser_id))
        site_name = s.scalar(select(storage.Site.name).where(storage.Site.id == q.site_id))
    n, m = len(q.group_by), 4 + len(APART)
    # Which currencies the report's rows are in: what served (a site's report), else the advertisers in scope.
    seen = [c for i, c in enumerate(earns) if any(r[n + m + 2 * i + 1] for r in result)]
    currencies = seen if q.site_id is not None and q.advertiser_id is None and earns else in_scope
    earned_in = tuple(seen or (earns if len(earns) == 1 else ()))
    rows = []
    for r in result:
        if not n and not any(r[: m + 2 * len(earns)]):  # no grouping and nothing in range: no row, zero totals
            continue
        group = {g: (v.isoformat() if isinstance(v, date) else v) for g, v in zip(q.group_by, r[:n], strict=True)}
        apart = dict(zip(APART, (int(x) for x in r[n + 4 : n + m]), strict=True))
        earnings = {c: r[n + m + 2 * earns.index(c)] for c in earned_in}
        rows.append(group | metrics(*(int(x) for x in r[n : n + 3]), r[n + 3], apart, earnings))
    totals = metrics(
        *(sum(row[k] for row in rows) for k in ("impressions", "viewable_impressions", "clicks", "spend")),
        {k: sum(row[k] for row in rows) for k in APART},
        {c: sum(row["earnings"][c] for row in rows) for c in earned_in},
    )
    if as_of is not None and as_of.tzinfo is None:  # SQLite keeps no zone; every stored time is UTC
        as_of = as_of.replace(tzinfo=UTC)
    return Report(
        q,
        [_shown(q, row) for row in rows],
        _shown(q, totals),
        as_of,
        name,
        currencies[0] if len(currencies) == 1 else None,
        site_name,
        earned_in,
    )


def _statement(q: ReportQuery, currencies: list[str]):
    """The grouped sums; for each currency, its earnings and how many rollup rows were in it."""
    keys = [_COLUMNS[g].label(g) for g in q.group_by]
    sums = [
        func.coalesce(func.sum(c), 0)
        for c in (_R.impressions, _R.views, _R.clicks, _R.spend, *(getattr(_R, k) for k in APART))
    ]
    stmt = select(*keys, *sums).join(storage.Campaign, storage.Campaign.id == _R.campaign_id)
    if currencies:
        share = func.coalesce(storage.Site.revenue_share, 0)  # `default` and `unknown` pages earn no publisher
        for c in currencies:
            paid_in = storage.Advertiser.currency == c
            stmt = stmt.add_columns(func.coalesce(func.sum(case((paid_in, _R.spend * share))), 0))
            stmt = stmt.add_columns(func.count(case((paid_in, 1))))
        stmt = stmt.join(storage.Advertiser, storage.Advertiser.id == storage.Campaign.advertiser_id).outerjoin(
            storage.Site, storage.Site.id == _R.site
        )
    stmt = stmt.where(_R.day >= q.start, _R.day <= q.end)
    if q.advertiser_id is not None:
        stmt = stmt.where(storage.Campaign.advertiser_id == q.advertiser_id)
    if q.campaign_id is not None:
        stmt = stmt.where(_R.campaign_id == q.campaign_id)
    if q.site_id is not None:
        stmt = stmt.where(_R.site == q.site_id)
    if keys:
        stmt = stmt.group_by(*[_COLUMNS[g] for g in q.group_by]).order_by(*[_COLUMNS[g] for g in q.group_by])
    return stmt


def _as_of(q: ReportQuery):
    """The newest persisted event within the report's scope: another advertiser's traffic must neither
    move it nor be read from it. Through the campaign index (the events table's advertiser id has none)."""
    stmt = select(func.max(storage.Event.occurred_at))
    if q.advertiser_id is not None:
        owned = select(storage.Campaign.id).where(storage.Campaign.advertiser_id == q.advertiser_id)
        stmt = stmt.where(storage.Event.campaign_id.in_(owned))
    if q.campaign_id is not None:
        stmt = stmt.where(storage.Event.campaign_id == q.campaign_id)
    if q.site_id is not None:  # the campaigns counted on the site narrow it first (events.site has no index)
        on_site = select(_R.campaign_id).where(_R.site == q.site_id).distinct()
        stmt = stmt.where(storage.Event.campaign_id.in_(on_site), storage.Event.site == q.site_id)
    return stmt


def to_csv(report: Report) -> str:
    """RFC 4180 CSV (CRLF, quoted where needed) with a header row and a final `total` row."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(report.columns)
    for row in report.rows:
        w.writerow([_inert(cell) for cell in report.flat(row).values()])
    totals = report.flat(report.totals)
    w.writerow(
        ["total"] * min(1, len(report.query.group_by))
        + [""] * max(0, len(report.query.group_by) - 1)
        + [totals[m] for m in report.columns[len(report.query.group_by) :]]
    )
    return out.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(cell):
    """A text cell a spreadsheet would run as a formula (`=HYPERLINK(...)`, `+1+1`), quoted as text with a
    leading `'` (OWASP's CSV injection advice); numbers stay numbers."""
    return f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell


def advertisers(db: storage.Database, only: str | None = None) -> list[dict]:
    """Advertisers a token may report on, as {id, name}: `only` that one, or every advertiser (operator)."""
    stmt = select(storage.Advertiser.id, storage.Advertiser.name).order_by(storage.Advertiser.name)
    if only is not None:
        stmt = stmt.where(storage.Advertiser.id == only)
    with db.sessionmaker() as s:
        return [{"id": i, "name": n} for i, n in s.execute(stmt)]
