"""`adserver catalog import|export|validate` and `adserver campaigns list|pause|resume`."""

from __future__ import annotations

import json

import click
import yaml
from tabulate import tabulate

from .. import catalog_file
from ..catalog import load_snapshot
from . import Context, pass_ctx


@click.group("catalog")
def group() -> None:
    """The sponsor catalog (advertisers, campaigns, creatives)."""


@group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@pass_ctx
def import_(ctx: Context, path: str) -> None:
    """Validate and upsert a YAML or JSON catalog file; nothing is imported if any field is bad."""
    counts = catalog_file.import_catalog(ctx.services.db, catalog_file.read_file(path))
    version = f", catalog version {counts['version']}" if "version" in counts else ""
    click.echo(
        f"imported {path}: {counts['created']} created, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged{version}"
    )


@group.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def validate(path: str) -> None:
    """Check a catalog file without touching the database."""
    data = catalog_file.validate_catalog(catalog_file.read_file(path))
    n_campaigns = sum(len(a["campaigns"]) for a in data["advertisers"])
    click.echo(f"{path} is valid: {len(data['advertisers'])} advertisers, {n_campaigns} campaigns")


@group.command()
@click.option("-o", "--output", type=click.File("w"), default="-", help="File to write (default stdout).")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml")
@pass_ctx
def export(ctx: Context, output, fmt: str) -> None:
    """Write the whole catalog in the import format."""
    data = catalog_file.export_catalog(ctx.services.db)
    if fmt == "json":
        json.dump(data, output, indent=2, ensure_ascii=False)
        output.write("\n")
    else:
        yaml.safe_dump(data, output, sort_keys=False, allow_unicode=True)


@click.group("campaigns")
def campaigns() -> None:
    """List, pause and resume campaigns."""


def _money(v: float | None) -> str:
    return "-" if v is None else f"{v:,.2f}"


@campaigns.command("list")
@click.option("--status", type=click.Choice(["active", "paused", "archived"]), help="Only this status.")
@pass_ctx
def list_(ctx: Context, status: str | None) -> None:
    """A table of campaigns."""
    snap = load_snapshot(ctx.services.db)
    rows = [
        [
            c.id,
            c.advertiser_name,
            c.status,
            c.priority,
            f"{c.pricing_model.upper()} {c.price:g}",
            _money(c.daily_budget),
            _money(c.total_budget),
            f"{c.starts_on or '…'} → {c.ends_on or '…'}",
            ", ".join(sorted(c.targeting.topics)) or "(any)",
        ]
        for c in snap.campaigns
        if status is None or c.status == status
    ]
    headers = ["campaign", "advertiser", "status", "prio", "pricing", "daily", "total", "flight", "topics"]
    click.echo(tabulate(rows, headers=headers, tablefmt="simple", maxcolwidths=[None] * 8 + [40]))
    click.echo(f"\n{len(rows)} campaign(s), catalog version {snap.version}")


def _set_status(ctx: Context, campaign_id: str, status: str) -> None:
    catalog_file.set_status(ctx.services.db, campaign_id, status)
    click.echo(f"campaign {campaign_id} is {status}")


@campaigns.command()
@click.argument("campaign_id")
@pass_ctx
def pause(ctx: Context, campaign_id: str) -> None:
    """Stop a campaign from winning decisions (all web workers pick it up within seconds)."""
    _set_status(ctx, campaign_id, "paused")


@campaigns.command()
@click.argument("campaign_id")
@pass_ctx
def resume(ctx: Context, campaign_id: str) -> None:
    """Let a paused campaign serve again."""
    _set_status(ctx, campaign_id, "active")
