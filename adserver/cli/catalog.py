"""`adserver catalog import|export|validate`: the sponsor catalog as a YAML or JSON file."""

from __future__ import annotations

import json
from pathlib import Path

import click
import yaml
from sqlalchemy import func, select

from ..catalog import files
from ..infra import storage
from .context import Context, pass_ctx
from .progress import progress_bar

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("catalog")
def group() -> None:
    """Sponsor catalog (advertisers, campaigns, creatives)."""


def _summary(data: dict) -> str:
    campaigns = [c for a in data["advertisers"] for c in a["campaigns"]]
    creatives = sum(len(c["creatives"]) for c in campaigns)
    return f"{len(data['advertisers'])} advertisers, {len(campaigns)} campaigns, {creatives} creatives"


def advertisers(db: storage.Database) -> int:
    with db.sessionmaker() as s:
        return s.scalar(select(func.count()).select_from(storage.Advertiser))


@group.command("import")
@click.argument("file", type=FILE)
@click.option(
    "--if-empty",
    is_flag=True,
    help="Only into an empty catalog: a demo's first start imports it, a restart keeps what the operator changed.",
)
@pass_ctx
def import_(ctx: Context, file: Path, if_empty: bool) -> None:
    """Validate FILE and upsert it (idempotent); nothing is imported when any field is bad."""
    if if_empty and (count := advertisers(ctx.services.db)):
        click.echo(f"{count} advertisers kept as they are ({file.name} is imported only into an empty catalog)")
        return
    with progress_bar() as bar:
        counts = files.import_catalog(ctx.services.db, files.read_file(file), bar)
    line = f"imported {file.name}: {counts['created']} created, {counts['updated']} updated, "
    line += f"{counts['unchanged']} unchanged"
    if "version" in counts:
        line += f" (catalog version {counts['version']})"
    click.echo(line)


@group.command()
@click.argument("file", type=FILE)
def validate(file: Path) -> None:
    """Check FILE against the catalog schema without touching the database."""
    data = files.validate_catalog(files.read_file(file))
    click.echo(f"{file.name} is valid: {_summary(data)}")


def dump(data: dict, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


@group.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default: stdout).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "json"]),
    help="Default: from the output file's extension, else yaml.",
)
@pass_ctx
def export(ctx: Context, output: Path | None, fmt: str | None) -> None:
    """Write the whole catalog in the import format (it imports back unchanged)."""
    if fmt is None:
        fmt = "json" if output is not None and output.suffix.lower() == ".json" else "yaml"
    text = dump(files.export_catalog(ctx.services.db), fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output} ({fmt})", err=True)
