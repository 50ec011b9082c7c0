"""Delivery at a glance (`GET /v1/delivery`, the /advertiser page's list): per campaign and creative, what was
delivered today, over the last 7 days and in total (the daily rollups, UTC days), and where the campaign
stands now in words (its review, status, dates, and the budget counters the decision path reads in Redis).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from ..catalog import review
from ..infra import storage
from ..serving.budget import MICROS
from ..serving.snapshot import CatalogSnapshot
from .pacing import PACING_SLACK, RedisBudget
from .reporting import metrics

WEEK = 7  # days, today included
PERIODS = ("today", "last_7_days", "total")
# Even pacing spends the daily budget over the day; spend this far behind the day's elapsed share (beyond the
# slack pacing allows ahead) is not the pacing holding it back but too few articles it may serve on.
BEHIND = 0.10 + PACING_SLACK

# A campaign's state: the code the API returns, and the words the page shows.
STATES = {
    "refused_in_review": "refused in review",
    "waiting_for_review": "waiting for review",
    "archived": "archived by the operator",
    "paused": "paused",
    "not_started": "not started yet",
    "ended": "ended",
    "no_active_creative": "paused: no active creative",
    "total_budget_spent": "total budget spent",
    "daily_budget_reached": "daily budget reached",
    "off_schedule": "outside its schedule now",
    "behind": "behind: few matching articles",
    "on_pace": "on pace",
    "serving": "serving (no daily budget to pace)",
}
_R = storage.DailyRollup
_COUNTS = (_R.impressions, _R.views, _R.clicks, _R.spend)


@dataclass(frozen=True)
class Now:
    """Where the campaign stands with the decision path: why it cannot win now ('' if it can, by the CHOOSE
    script's rule), today's spend, the share of its (scheduled) day gone, and whether its schedule runs now."""

    refused: str = ""
    spent_today: float = 0.0
    day_share: float = 0.0
    scheduled: bool = True


def state(row: storage.Campaign, now: Now | None, today: date) -> str:
    """The campaign's state (a key of STATES); `now` None: it is not in the serving catalog."""
    approval = review.state(row)
    if approval["state"] == "rejected" and not review.approved(row):
        return "refused_in_review"
    if not review.approved(row):
        return "waiting_for_review"
    if row.status in ("archived", "paused"):
        return row.status
    if row.starts_on and row.starts_on > today:
        return "not_started"
    if row.ends_on and row.ends_on < today:
        return "ended"
    active = [cr for cr in row.creatives if cr.status == "active"]
    if not active:
        return "no_active_creative"
    if now is None or not any(review.approved(cr) for cr in active):
        return "waiting_for_review"  # its cards are: none serves yet
    if now.refused == "total budget spent":
        return "total_budget_spent"
    if now.refused == "daily budget spent":
        return "daily_budget_reached"
    if not now.scheduled:
        return "off_schedule"
    if not row.daily_budget:
        return "serving"
    if row.pacing == "even" and now.spent_today / float(row.daily_budget) < now.day_share - BEHIND:
        return "behind"
    return "on_pace"


def _sums(since: date | None) -> list:
    if since is None:
        return [func.coalesce(func.sum(c), 0) for c in _COUNTS]
    return [func.coalesce(func.sum(case((_R.day >= since, c), else_=0)), 0) for c in _COUNTS]


def _figures(values) -> dict:
    imp, views, clicks, spend = values
    return {k: v for k, v in metrics(int(imp), int(views), int(clicks), spend, {}).items() if k in FIGURES}


FIGURES = ("impressions", "viewable_impressions", "view_rate", "clicks", "ctr", "spend")
NOTHING = _figures((0, 0, 0, 0))


def _add(a: dict, b: dict) -> dict:
    imp, views, clicks = (a[k] + b[k] for k in ("impressions", "viewable_impressions", "clicks"))
    return _figures((imp, views, clicks, a["spend"] + b["spend"]))


def delivery(
    db: storage.Database, gate: RedisBudget, snapshot: CatalogSnapshot, advertiser_id: str, today: date
) -> list[dict]:
    """The advertiser's campaigns (its own only), each with its state and its figures per period, and its
    creatives' figures."""
    stmt = (
        select(_R.campaign_id, _R.creative_id, *_sums(today), *_sums(today - timedelta(days=WEEK - 1)), *_sums(None))
        .join(storage.Campaign, storage.Campaign.id == _R.campaign_id)
        .where(storage.Campaign.advertiser_id == advertiser_id)
        .group_by(_R.campaign_id, _R.creative_id)
    )
    campaigns = (
        select(storage.Campaign)
        .where(storage.Campaign.advertiser_id == advertiser_id)
        .options(selectinload(storage.Campaign.creatives))
        .order_by(storage.Campaign.id)
    )
    with db.sessionmaker() as s:
        sums = {(r[0], r[1]): r[2:] for r in s.execute(stmt)}
        rows = s.scalars(campaigns).all()
        live = [snapshot.by_id[r.id] for r in rows if r.id in snapshot.by_id and r.status == "active"]
        now = _now(gate, live)
        out = []
        for row in rows:
            per_creative: dict[str, dict] = {}
            for (campaign_id, creative_id), values in sums.items():
                if campaign_id == row.id:
                    per_creative[creative_id] = {p: _figures(values[4 * i : 4 * i + 4]) for i, p in enumerate(PERIODS)}
            totals = {p: NOTHING for p in PERIODS}
            for figures in per_creative.values():
                totals = {p: _add(totals[p], figures[p]) for p in PERIODS}
            code = state(row, now.get(row.id), today)
            out.append(
                {
                    "campaign_id": row.id,
                    "state": code,
                    "state_text": STATES[code],
                    "budget": {"total": _opt(row.total_budget), "daily": _opt(row.daily_budget)},
                    **totals,
                    "creatives": [
                        {"creative_id": cr.id, **per_creative.get(cr.id, {p: NOTHING for p in PERIODS})}
                        for cr in row.creatives
                    ],
                }
            )
    return out


def _now(gate: RedisBudget, live: list) -> Mapping[str, Now]:
    """What the decision path sees of each serving campaign, booking nothing (`adserver spend` reads the same)."""
    if not live:
        return {}
    refused = gate.verdicts(live, pacing=False)
    spent = gate.spend(live)
    _, elapsed = gate.day()
    at = gate.now()
    return {
        c.id: Now(
            refused[c.id],
            spent[c.id][1] / MICROS,
            gate.day_share(c, elapsed),
            c.targeting.schedule is None or c.targeting.schedule.runs_at(at),
        )
        for c in live
    }


def _opt(v) -> float | None:
    return None if v is None else float(v)
