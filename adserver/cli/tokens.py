"""`adserver tokens create|list|revoke`: API tokens for advertisers, publishers (by site) and operators."""

from __future__ import annotations

import click
from tabulate import tabulate

from ..catalog import api_tokens
from .context import Context, pass_ctx

site_option = click.option("--site", help="A publisher's token: the reports of this site (its id) only.")


@click.group("tokens")
def group() -> None:
    """API tokens (stored hashed; the plaintext is shown once, at creation)."""


def _owner(advertiser: str | None, operator: bool, site: str | None) -> tuple[str | None, str | None]:
    """(advertiser, site) of the token's owner, exactly one of ADVERTISER, --site and --operator given."""
    if sum((bool(advertiser), bool(site), operator)) != 1:
        raise click.UsageError("give one of ADVERTISER, --site ID (a publisher) or --operator")
    return advertiser, site


def _whose(advertiser: str | None, site: str | None) -> str:
    return f"advertiser {advertiser}" if advertiser else f"site {site}" if site else "the operator"


@group.command()
@click.argument("advertiser", required=False)
@click.option("--operator", is_flag=True, help="An operator token (all advertisers' data).")
@site_option
@click.option("--label", default="", help="What the token is for, shown in `tokens list`.")
@pass_ctx
def create(ctx: Context, advertiser: str | None, operator: bool, site: str | None, label: str) -> None:
    """Create a token for ADVERTISER (or a site's publisher, or --operator) and print it once."""
    advertiser, site = _owner(advertiser, operator, site)
    plaintext = api_tokens.create(ctx.services.db, advertiser, label, site_id=site)
    click.echo(plaintext)
    click.echo(f"token for {_whose(advertiser, site)} created; store it now, it cannot be shown again", err=True)


@group.command("list")
@click.argument("advertiser", required=False)
@click.option("--operator", is_flag=True, help="Only operator tokens.")
@site_option
@pass_ctx
def list_(ctx: Context, advertiser: str | None, operator: bool, site: str | None) -> None:
    """Tokens (prefixes only) of ADVERTISER, or of a site, or operator tokens, or all."""
    if sum((bool(advertiser), bool(site), operator)) > 1:
        raise click.UsageError("give at most one of ADVERTISER, --site ID or --operator")
    rows = [
        [
            t.prefix + "…",
            t.advertiser_id or (f"site {t.site_id}" if t.site_id else "(operator)"),
            t.label,
            t.created_at.strftime("%Y-%m-%d %H:%M"),
            "active" if t.active else f"revoked {t.revoked_at:%Y-%m-%d %H:%M}",
        ]
        for t in api_tokens.list_tokens(ctx.services.db, advertiser, operator, site_id=site)
    ]
    if not rows:
        click.echo("no tokens")
        return
    click.echo(tabulate(rows, headers=["prefix", "owner", "label", "created (UTC)", "state"], tablefmt="simple"))


@group.command()
@click.argument("advertiser", required=False)
@click.option("--operator", is_flag=True, help="Revoke operator tokens.")
@site_option
@click.option("--prefix", help="The token's prefix as `tokens list` shows it.")
@click.option("--all", "all_", is_flag=True, help="Every active token of the owner.")
@pass_ctx
def revoke(
    ctx: Context, advertiser: str | None, operator: bool, site: str | None, prefix: str | None, all_: bool
) -> None:
    """Revoke a token of ADVERTISER (or of a site, or --operator) by --prefix, or --all of them."""
    advertiser, site = _owner(advertiser, operator, site)
    if bool(prefix) == all_:
        raise click.UsageError("give exactly one of --prefix P or --all")
    n = api_tokens.revoke(ctx.services.db, advertiser, prefix.rstrip("…") if prefix else None, site_id=site)
    click.echo(f"revoked {n} token{'s' if n != 1 else ''}")
