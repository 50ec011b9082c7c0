"""`adserver spend [ID]`: today's and total spend vs budget, and whether the campaign may win now."""

from __future__ import annotations

import click
from tabulate import tabulate

from ..catalog.store import load_snapshot
from ..events.pacing import RedisBudget
from ..serving.budget import MICROS
from .context import Context, pass_ctx


def _money(v: float | None) -> str:
    return "-" if v is None else f"{v:,.2f}"


@click.command("spend")
@click.argument("campaign_id", required=False)
@pass_ctx
def command(ctx: Context, campaign_id: str | None) -> None:
    """Spend per campaign (today / total) against its budgets, and what the decision path sees now: a
    budget spent (a CPC campaign stops while one more click still fits), or the pacing lead."""
    snapshot = load_snapshot(ctx.services.db)
    campaigns = [c for c in snapshot.campaigns if campaign_id in (None, c.id)]
    if campaign_id and not campaigns:
        raise click.ClickException(f"no campaign {campaign_id!r}")
    gate = RedisBudget(ctx.services.redis, key_space=ctx.services.keys)
    spent = gate.spend(campaigns)
    verdicts = gate.verdicts(campaigns, pacing=False)  # the serving rule, booking nothing
    _, elapsed = gate.day()
    rows = []
    for c in campaigns:
        total, today = (v / MICROS for v in spent[c.id])
        if verdicts[c.id]:
            state = verdicts[c.id]
        elif c.pacing == "even" and c.daily_budget:
            state = f"even: {today / c.daily_budget - elapsed:+.0%} vs clock"
        else:
            state = c.pacing
        rows.append(
            [c.id, f"{_money(today)} / {_money(c.daily_budget)}", f"{_money(total)} / {_money(c.total_budget)}", state]
        )
    click.echo(tabulate(rows, headers=["campaign", "today / daily", "total / budget", "pacing"]))
