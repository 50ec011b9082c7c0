"""`adserver review list|show|approve|reject`: advertisers' own changes that wait for an operator."""

from __future__ import annotations

import json

import click

from ..catalog import review
from .context import Context, pass_ctx
from .tables import table, wide_option


@click.group("review")
def group() -> None:
    """Advertisers' own changes to what readers see, waiting for approval before they serve."""


@group.command("list")
@wide_option
@pass_ctx
def list_(ctx: Context, wide: bool) -> None:
    """What waits: new campaigns and creatives, and changes to approved ones (the approved version serves)."""
    items = review.waiting(ctx.services.db)
    if not items:
        click.echo("nothing waits for review")
        return
    rows = [[i["advertiser_id"], i["kind"], i["id"], i["what"]] for i in items]
    click.echo(table(rows, ["advertiser", "kind", "id", "what"], wide=wide))


@group.command()
@click.argument("ident", metavar="ID")
@pass_ctx
def show(ctx: Context, ident: str) -> None:
    """A campaign's or creative's approved version and what is proposed, field by field (JSON)."""
    got = review.show(ctx.services.db, ident)
    serving, proposed = got["serving"] or {}, got["proposed"]
    changed = {k: {"serving": serving.get(k), "proposed": v} for k, v in proposed.items() if serving.get(k) != v}
    click.echo(f"{got['kind']} {got['id']}: {got['state']['state']}" + ("" if got["serving"] else " (new)"))
    click.echo(json.dumps(changed, indent=2, ensure_ascii=False, default=str))


@group.command()
@click.argument("ident", metavar="ID")
@pass_ctx
def approve(ctx: Context, ident: str) -> None:
    """Approve what waits on a campaign (its creatives' too) or on one creative: it serves from the next poll."""
    done = review.approve(ctx.services.db, ident)
    click.echo(f"approved {', '.join(done)}")


@group.command()
@click.argument("ident", metavar="ID")
@click.option("--reason", required=True, help="What the advertiser reads: why, and what to change.")
@pass_ctx
def reject(ctx: Context, ident: str, reason: str) -> None:
    """Refuse what waits on a campaign or creative; the approved version, if any, goes on serving."""
    review.reject(ctx.services.db, ident, reason)
    click.echo(f"rejected {ident}")
