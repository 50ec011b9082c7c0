"""`adserver campaigns list|pause|resume`: campaigns at a glance, and switching them on and off."""

from __future__ import annotations

from datetime import date

import click
from tabulate import tabulate

from .. import catalog_file
from ..catalog import STATUSES, Campaign, load_snapshot
from . import Context, pass_ctx


@click.group("campaigns")
def group() -> None:
    """Campaigns (status, schedule, budgets, targeting)."""


def _money(v: float | None) -> str:
    return "-" if v is None else f"{v:,.2f}"


def serving_state(c: Campaign, today: date) -> str:
    """Why a campaign is (not) serving today, before relevance and budget: status and flight dates."""
    if c.status != "active":
        return c.status
    if c.starts_on and today < c.starts_on:
        return "scheduled"
    if c.ends_on and today > c.ends_on:
        return "ended"
    return "active"


def campaign_row(c: Campaign, today: date) -> list:
    dates = f"{c.starts_on or '…'} → {c.ends_on or '…'}" if c.starts_on or c.ends_on else "always"
    topics = ", ".join(sorted(c.targeting.topics)) or "(any)"
    return [
        c.id,
        c.advertiser_name,
        serving_state(c, today),
        c.priority,
        f"{c.pricing_model} {c.price:g}",
        f"{_money(c.total_budget)} / {_money(c.daily_budget)}",
        dates,
        topics if len(topics) <= 48 else topics[:47] + "…",
    ]


@group.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only campaigns with this status.")
@click.option("--advertiser", help="Only this advertiser's campaigns.")
@pass_ctx
def list_(ctx: Context, status: str | None, advertiser: str | None) -> None:
    """A table of every campaign: status, priority, pricing, budgets, dates, topics."""
    snapshot = load_snapshot(ctx.services.db)
    today = date.today()
    rows = [
        campaign_row(c, today)
        for c in snapshot.campaigns
        if advertiser in (None, c.advertiser_id) and status in (None, c.status)
    ]
    if not rows:
        click.echo("no campaigns (import one with `adserver catalog import FILE`)")
        return
    headers = ["id", "advertiser", "status", "prio", "pricing", "budget total / daily", "dates", "topics"]
    click.echo(tabulate(rows, headers=headers, tablefmt="simple"))
    click.echo(f"\n{len(rows)} campaigns · catalog version {snapshot.version}")


def _set(ctx: Context, campaign_id: str, status: str) -> None:
    catalog_file.set_status(ctx.services.db, campaign_id, status)
    click.echo(f"campaign {campaign_id} is {status}")


@group.command()
@click.argument("campaign_id", metavar="ID")
@pass_ctx
def pause(ctx: Context, campaign_id: str) -> None:
    """Stop serving campaign ID (every web worker sees it within the catalog poll interval)."""
    _set(ctx, campaign_id, "paused")


@group.command()
@click.argument("campaign_id", metavar="ID")
@pass_ctx
def resume(ctx: Context, campaign_id: str) -> None:
    """Serve campaign ID again."""
    _set(ctx, campaign_id, "active")
