"""`adserver spend [ID]`: today's and total spend vs budget, and the pacing state, from the Redis counters."""

from __future__ import annotations

import click
from tabulate import tabulate

from ..catalog import load_snapshot
from ..pacing import MICROS, RedisBudget
from . import Context, pass_ctx


def _money(v: float | None) -> str:
    return "-" if v is None else f"{v:,.2f}"


@click.command("spend")
@click.argument("campaign_id", required=False)
@pass_ctx
def command(ctx: Context, campaign_id: str | None) -> None:
    """Spend per campaign (today / total) against its budgets, and whether pacing holds it back now."""
    snapshot = load_snapshot(ctx.services.db)
    campaigns = [c for c in snapshot.campaigns if campaign_id in (None, c.id)]
    if campaign_id and not campaigns:
        raise click.ClickException(f"no campaign {campaign_id!r}")
    gate = RedisBudget(ctx.services.redis)
    spent = gate.spend(campaigns)
    _, elapsed = gate._day()
    rows = []
    for c in campaigns:
        total, today = (v / MICROS for v in spent[c.id])
        if c.total_budget is not None and total >= c.total_budget:
            state = "total budget spent"
        elif c.daily_budget is not None and today >= c.daily_budget:
            state = "daily budget spent"
        elif c.pacing == "even" and c.daily_budget:
            lead = today / c.daily_budget - elapsed
            state = f"even: {lead:+.0%} vs clock"
        else:
            state = c.pacing
        rows.append(
            [c.id, f"{_money(today)} / {_money(c.daily_budget)}", f"{_money(total)} / {_money(c.total_budget)}", state]
        )
    click.echo(tabulate(rows, headers=["campaign", "today / daily", "total / budget", "pacing"]))
