"""`adserver sites list|add|set|archive`: the news sites this deployment serves and their own rules."""

from __future__ import annotations

import click

from ..catalog import sites
from ..serving.sites import SITE_STATUSES
from ..settings import RELAXED_ENVIRONMENTS
from .context import Context, pass_ctx
from .tables import table, wide_option


@click.group("sites")
def group() -> None:
    """Sites (domains whose pages bill, their placements and blocks). None at all: every page is `default`."""


def _csv(value: str | None) -> list[str] | None:
    return None if value is None else [x.strip() for x in value.split(",") if x.strip()]


def _options(f):
    for option in reversed(
        [
            click.option("--name", help="What reports call it."),
            click.option("--domains", help="Comma-separated hosts: news.example,*.news.example"),
            click.option("--placements", help="Comma-separated placements it uses (empty: every one)."),
            click.option("--block", "blocked_advertisers", help="Comma-separated advertiser ids never shown on it."),
            click.option("--exclude-categories", help="Comma-separated sensitive categories its cards never sit on."),
            click.option("--revenue-share", type=float, help="The publisher's part of the spend, 0 to 1."),
            click.option("--status", type=click.Choice(SITE_STATUSES), help="archived: its pages are unknown pages."),
        ]
    ):
        f = option(f)
    return f


def _save(ctx: Context, site_id: str, create: bool, **options) -> None:
    data = {
        "id": site_id,
        "name": options["name"],
        "revenue_share": options["revenue_share"],
        "status": options["status"],
    }
    for key in ("domains", "placements", "blocked_advertisers", "exclude_categories"):
        data[key] = _csv(options[key])
    if create:
        data = {k: v for k, v in data.items() if v is not None}
    with sites.local_domains(ctx.settings.environment in RELAXED_ENVIRONMENTS):
        sites.save(ctx.services.db, data, create)


@group.command("list")
@wide_option
@pass_ctx
def list_(ctx: Context, wide: bool) -> None:
    """Every site: id, name, status, domains, revenue share and its rules."""
    rows = [
        [
            x["id"],
            x["name"],
            x["status"],
            ", ".join(x["domains"]),
            f"{x['revenue_share']:g}",
            ", ".join(x["placements"]) or "(all)",
            ", ".join(x["blocked_advertisers"]) or "-",
        ]
        for x in sites.list_sites(ctx.services.db)
    ]
    if not rows:
        click.echo("no sites: every page is the implicit site `default`, billed (add one with `adserver sites add`)")
        return
    headers = ["id", "name", "status", "domains", "share", "placements", "blocked"]
    click.echo(table(rows, headers, wrap={1: 16, 3: 24}, wide=wide))


@group.command("add")
@click.argument("site_id")
@_options
@pass_ctx
def add(ctx: Context, site_id: str, **options) -> None:
    """Add a site: only pages on its domains bill from now on (`UNKNOWN_PAGES` says what the others get)."""
    _save(ctx, site_id, True, **options)
    click.echo(f"site {site_id} added")


@group.command("set")
@click.argument("site_id")
@_options
@pass_ctx
def set_(ctx: Context, site_id: str, **options) -> None:
    """Change a site: each option given replaces that field (an empty list clears it)."""
    _save(ctx, site_id, False, **options)
    click.echo(f"site {site_id} changed")


@group.command("archive")
@click.argument("site_id")
@pass_ctx
def archive(ctx: Context, site_id: str) -> None:
    """Archive a site: its pages are unknown pages from now on (served unbilled, or refused)."""
    sites.archive(ctx.services.db, site_id)
    click.echo(f"site {site_id} archived")
