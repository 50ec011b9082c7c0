"""Advertiser reports: pure queries over `daily_rollups` joined to `campaigns`.

The API (`GET /v1/reports`), the `/reports` page, the CLI's `adserver report` and the benchmark
all call `run_report`; isolation (an advertiser sees only its own campaigns) is applied here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from ..errors import InvalidContext, NotFound, Refusal
from ..infra import counters, storage

GROUPS = tuple(counters.DIMENSIONS)  # day, campaign, creative, placement, topic, country, device
MAX_DAYS = 366
APART = counters.APART  # never billed, each kind in its own column (`counters`)
METRICS = ("impressions", "viewable_impressions", "view_rate", "clicks", "ctr", "spend", *APART)
_R = storage.DailyRollup
_COLUMNS = {group: _R.__table__.c[column] for group, column in counters.DIMENSIONS.items()}


@dataclass(frozen=True)
class ReportQuery:
    """What to report: a UTC date range (inclusive), the grouping, and whose data."""

    start: date
    end: date
    group_by: tuple[str, ...] = ("day",)
    advertiser_id: str | None = None  # None: every advertiser (operator)
    campaign_id: str | None = None

    def __post_init__(self) -> None:
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


@dataclass(frozen=True)
class Report:
    query: ReportQuery
    rows: list[dict]
    totals: dict
    data_as_of: datetime | None  # the newest event persisted in the report's scope, in UTC
    advertiser_name: str | None = None  # None: every advertiser
    currency: str | None = None  # of `spend`; None when the advertiser in scope pay in different currencies

    @property
    def columns(self) -> list[str]:
        return [*self.query.group_by, *METRICS]


def parse_group_by(raw: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """`"day,campaign"` or `["day", "campaign"]` -> ("day", "campaign"); empty means no grouping."""
    if raw is None:
        return ("day",)
    parts = raw.split(",") if isinstance(raw, str) else [p for r in raw for p in r.split(",")]
    return tuple(p.strip() for p in parts if p.strip())


def _metrics(imp: int, views: int, clicks: int, spend: Decimal | float, apart: dict[str, int]) -> dict:
    return {
        "impressions": imp,
        "viewable_impressions": views,
        "view_rate": round(views / imp, 4) if imp else 0.0,
        "clicks": clicks,
        "ctr": round(clicks / imp, 4) if imp else 0.0,
        "spend": round(float(spend or 0), 4),
        **{k: apart.get(k, 0) for k in APART},
    }


def run_report(db: storage.Database, q: ReportQuery) -> Report:
    """The grouped rows and the totals for `q`; a campaign not visible to the owner is NotFound."""
    keys = [_COLUMNS[g].label(g) for g in q.group_by]
    sums = [
        func.coalesce(func.sum(c), 0)
        for c in (_R.impressions, _R.views, _R.clicks, _R.spend, *(getattr(_R, k) for k in APART))
    ]
    stmt = (
        select(*keys, *sums)
        .join(storage.Campaign, storage.Campaign.id == _R.campaign_id)
        .where(_R.day >= q.start, _R.day <= q.end)
    )
    if q.advertiser_id is not None:
        stmt = stmt.where(storage.Campaign.advertiser_id == q.advertiser_id)
    if q.campaign_id is not None:
        stmt = stmt.where(_R.campaign_id == q.campaign_id)
    if keys:
        stmt = stmt.group_by(*[_COLUMNS[g] for g in q.group_by]).order_by(*[_COLUMNS[g] for g in q.group_by])
    with db.sessionmaker() as s:
        if q.campaign_id is not None:
            owner = s.scalar(select(storage.Campaign.advertiser_id).where(storage.Campaign.id == q.campaign_id))
            if owner is None or (q.advertiser_id is not None and owner != q.advertiser_id):
                raise NotFound(f"no campaign {q.campaign_id!r}")  # the same answer for missing and not yours
        result = s.execute(stmt).all()
        as_of = s.scalar(_as_of(q))
        name = s.scalar(select(storage.Advertiser.name).where(storage.Advertiser.id == q.advertiser_id))
        scope = select(storage.Advertiser.currency).distinct()
        if q.advertiser_id is not None:
            scope = scope.where(storage.Advertiser.id == q.advertiser_id)
        currencies = s.scalars(scope).all()
    n = len(keys)
    rows = []
    for r in result:
        if not keys and not any(r[n:]):  # no grouping and nothing in range: no row, zero totals
            continue
        group = {g: (v.isoformat() if isinstance(v, date) else v) for g, v in zip(q.group_by, r[:n], strict=True)}
        apart = dict(zip(APART, (int(x) for x in r[n + 4 :]), strict=True))
        rows.append(group | _metrics(*(int(x) for x in r[n : n + 3]), r[n + 3], apart))
    totals = _metrics(
        *(sum(row[k] for row in rows) for k in ("impressions", "viewable_impressions", "clicks", "spend")),
        {k: sum(row[k] for row in rows) for k in APART},
    )
    if as_of is not None and as_of.tzinfo is None:  # SQLite keeps no zone; every stored time is UTC
        as_of = as_of.replace(tzinfo=UTC)
    return Report(q, rows, totals, as_of, name, currencies[0] if len(currencies) == 1 else None)


def _as_of(q: ReportQuery):
    """The newest persisted event within the report's scope: another advertiser's traffic must neither
    move it nor be read from it. Through the campaign index (the events table's advertiser id has none)."""
    stmt = select(func.max(storage.Event.occurred_at))
    if q.advertiser_id is not None:
        owned = select(storage.Campaign.id).where(storage.Campaign.advertiser_id == q.advertiser_id)
        stmt = stmt.where(storage.Event.campaign_id.in_(owned))
    if q.campaign_id is not None:
        stmt = stmt.where(storage.Event.campaign_id == q.campaign_id)
    return stmt


def to_csv(report: Report) -> str:
    """RFC 4180 CSV (CRLF, quoted where needed) with a header row and a final `total` row."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(report.columns)
    for row in report.rows:
        w.writerow([_inert(row[c]) for c in report.columns])
    w.writerow(
        ["total"] * min(1, len(report.query.group_by))
        + [""] * max(0, len(report.query.group_by) - 1)
        + [report.totals[m] for m in METRICS]
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
