"""`adserver tokens create|list|revoke`: API tokens for advertisers' reports."""

from __future__ import annotations

import click
from tabulate import tabulate

from .. import tokens
from . import Context, pass_ctx


@click.group("tokens")
def group() -> None:
    """API tokens (stored hashed; shown once at creation)."""


@group.command()
@click.argument("advertiser", required=False)
@click.option("--operator", is_flag=True, help="A token that sees every advertiser's reports.")
@click.option("--label", default="", help="A note: who or what uses it.")
@pass_ctx
def create(ctx: Context, advertiser: str | None, operator: bool, label: str) -> None:
    """Create a token for ADVERTISER (or --operator) and print it once."""
    if bool(advertiser) == operator:
        raise click.UsageError("give an ADVERTISER id or --operator (not both)")
    token = tokens.create(ctx.services.db, None if operator else advertiser, label)
    click.echo(token)
    click.echo(f"(store it now: only its hash is kept; owner: {advertiser or 'operator'})", err=True)


@group.command("list")
@click.argument("advertiser", required=False)
@pass_ctx
def list_(ctx: Context, advertiser: str | None) -> None:
    """Tokens by prefix, owner and state (never the token itself)."""
    rows = [
        [
            t.prefix + "…",
            t.advertiser_id or "(operator)",
            t.label,
            f"{t.created_at:%Y-%m-%d %H:%M}",
            "revoked" if t.revoked_at else "live",
        ]
        for t in tokens.list_tokens(ctx.services.db, advertiser)
    ]
    click.echo(tabulate(rows, headers=["token", "owner", "label", "created", "state"]))


@group.command()
@click.argument("advertiser")
@click.option("--prefix", help="Only the token starting with this prefix.")
@click.option("--all", "all_", is_flag=True, help="Every live token of ADVERTISER.")
@pass_ctx
def revoke(ctx: Context, advertiser: str, prefix: str | None, all_: bool) -> None:
    """Revoke ADVERTISER's tokens (`operator` for operator tokens)."""
    if bool(prefix) == all_:
        raise click.UsageError("give --prefix P or --all")
    n = tokens.revoke(ctx.services.db, None if advertiser == "operator" else advertiser, prefix)
    click.echo(f"revoked {n} token(s)")
    if n == 0:
        raise SystemExit(1)
