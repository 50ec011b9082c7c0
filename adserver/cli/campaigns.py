"""`adserver campaigns list|pause|resume|archive`: campaigns at a glance, and switching them on and off."""

from __future__ import annotations

from datetime import date

import click

from ..catalog import files
from ..catalog.store import load_snapshot
from ..serving.snapshot import STATUSES, Campaign
from . import advertisers
from .context import Context, pass_ctx
from .tables import table, wide_option


@click.group("campaigns")
def group() -> None:
    """Campaigns (status, schedule, budgets, targeting)."""


def serving_state(c: Campaign, today: date) -> str:
    """Why a campaign is (not) serving today, before relevance and budget: status and flight dates."""
    if c.status != "active":
        return c.status
    if c.starts_on and today < c.starts_on:
        return "scheduled"
    if c.ends_on and today > c.ends_on:
        return "ended"
    return "active"


def _money(v: float | None) -> str:
    """Whole amounts without cents: a budget column narrow enough for 100 columns."""
    return "-" if v is None else f"{v:,.0f}" if v == int(v) else f"{v:,.2f}"


def serving(c: Campaign, today: date) -> str:
    """The serving state with the dates that make it so ("ended 2026-03-31", "active to 2026-12-31")."""
    state = serving_state(c, today)
    if state == "ended":
        return f"ended {c.ends_on}"
    if state == "scheduled":
        return f"scheduled from {c.starts_on}"
    if state == "active" and c.ends_on:
        return f"active to {c.ends_on}"
    return state


def campaign_row(c: Campaign, today: date) -> list:
    return [
        c.id,
        c.advertiser_name,
        serving(c, today),
        c.priority,
        f"{c.pricing_model} {c.price:g}",
        f"{_money(c.total_budget)} / {_money(c.daily_budget)}",
        ", ".join(sorted(c.targeting.topics)) or "(any)",
    ]


@group.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only campaigns with this status.")
@click.option("--advertiser", help="Only this advertiser's campaigns (its id or its name).")
@wide_option
@pass_ctx
def list_(ctx: Context, status: str | None, advertiser: str | None, wide: bool) -> None:
    """A table of every campaign: serving state and dates, priority, pricing, budgets, topics."""
    db = ctx.services.db
    advertiser_id = advertisers.find(db, advertiser).id if advertiser else None
    snapshot = load_snapshot(db)
    today = date.today()
    rows = [
        campaign_row(c, today)
        for c in snapshot.campaigns
        if advertiser_id in (None, c.advertiser_id) and status in (None, c.status)
    ]
    if not rows:
        if advertiser_id or status:
            click.echo("no campaigns match")
        else:
            click.echo("no campaigns (import one with `adserver catalog import FILE`)")
        return
    headers = ["id", "advertiser", "serving", "prio", "pricing", "budget total/day", "topics"]
    click.echo(table(rows, headers, wrap={1: 10, 2: 10, 5: 12, 6: 16}, wide=wide))
    click.echo(f"\n{len(rows)} campaigns · catalog version {snapshot.version}")


def _set(ctx: Context, campaign_id: str, status: str) -> None:
    db = ctx.services.db
    files.set_status(db, campaign_id, status)
    c = next(c for c in load_snapshot(db).campaigns if c.id == campaign_id)
    state = serving_state(c, date.today())
    if status == "active" and state == "ended":
        click.echo(f"campaign {campaign_id} is active but cannot serve: it ended on {c.ends_on} (its flight dates)")
    elif status == "active" and state == "scheduled":
        click.echo(f"campaign {campaign_id} is active; it serves from {c.starts_on} (its flight dates)")
    else:
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
    """Serve campaign ID again (says so when its flight dates keep it from serving)."""
    _set(ctx, campaign_id, "active")


@group.command()
@click.argument("campaign_id", metavar="ID")
@pass_ctx
def archive(ctx: Context, campaign_id: str) -> None:
    """Retire campaign ID: never served, kept for its reports (`resume` brings it back)."""
    _set(ctx, campaign_id, "archived")
