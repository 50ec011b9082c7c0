"""`adserver tokens create|list|revoke`: API tokens for advertisers and operators."""

from __future__ import annotations

import click
from tabulate import tabulate

from ..catalog import api_tokens
from .context import Context, pass_ctx


@click.group("tokens")
def group() -> None:
    """API tokens (stored hashed; the plaintext is shown once, at creation)."""


def _owner(advertiser: str | None, operator: bool) -> str | None:
    if operator and advertiser:
        raise click.UsageError("give ADVERTISER or --operator, not both")
    if not operator and not advertiser:
        raise click.UsageError("give ADVERTISER, or --operator for an operator token")
    return advertiser


@group.command()
@click.argument("advertiser", required=False)
@click.option("--operator", is_flag=True, help="An operator token (all advertisers' data).")
@click.option("--label", default="", help="What the token is for, shown in `tokens list`.")
@pass_ctx
def create(ctx: Context, advertiser: str | None, operator: bool, label: str) -> None:
    """Create a token for ADVERTISER (or --operator) and print it once."""
    plaintext = api_tokens.create(ctx.services.db, _owner(advertiser, operator), label)
    click.echo(plaintext)
    whose = f"advertiser {advertiser}" if advertiser else "the operator"
    click.echo(f"token for {whose} created; store it now, it cannot be shown again", err=True)


@group.command("list")
@click.argument("advertiser", required=False)
@click.option("--operator", is_flag=True, help="Only operator tokens.")
@pass_ctx
def list_(ctx: Context, advertiser: str | None, operator: bool) -> None:
    """Tokens (prefixes only) of ADVERTISER, or operator tokens, or all."""
    rows = [
        [
            t.prefix + "…",
            t.advertiser_id or "(operator)",
            t.label,
            t.created_at.strftime("%Y-%m-%d %H:%M"),
            "active" if t.active else f"revoked {t.revoked_at:%Y-%m-%d %H:%M}",
        ]
        for t in api_tokens.list_tokens(ctx.services.db, advertiser, operator)
    ]
    if not rows:
        click.echo("no tokens")
        return
    click.echo(tabulate(rows, headers=["prefix", "owner", "label", "created (UTC)", "state"], tablefmt="simple"))


@group.command()
@click.argument("advertiser", required=False)
@click.option("--operator", is_flag=True, help="Revoke operator tokens.")
@click.option("--prefix", help="The token's prefix as `tokens list` shows it.")
@click.option("--all", "all_", is_flag=True, help="Every active token of the owner.")
@pass_ctx
def revoke(ctx: Context, advertiser: str | None, operator: bool, prefix: str | None, all_: bool) -> None:
    """Revoke a token of ADVERTISER (or --operator) by --prefix, or --all of them."""
    owner = _owner(advertiser, operator)
    if bool(prefix) == all_:
        raise click.UsageError("give exactly one of --prefix P or --all")
    n = api_tokens.revoke(ctx.services.db, owner, prefix.rstrip("…") if prefix else None)
    click.echo(f"revoked {n} token{'s' if n != 1 else ''}")
