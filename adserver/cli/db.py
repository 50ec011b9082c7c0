"""`adserver db upgrade|current`: schema migrations."""

from __future__ import annotations

import click

from ..infra import migrate
from .context import Context, pass_ctx


@click.group("db")
def group() -> None:
    """Database schema."""


@group.command()
@click.argument("revision", default="head")
@pass_ctx
def upgrade(ctx: Context, revision: str) -> None:
    """Migrate the database to REVISION (default: the latest)."""
    db = ctx.services.db
    migrate.upgrade(db, revision)
    click.echo(f"database at revision {migrate.current(db)} ({db.engine.url.render_as_string(hide_password=True)})")


@group.command()
@pass_ctx
def current(ctx: Context) -> None:
    """Print the database's current revision."""
    click.echo(migrate.current(ctx.services.db) or "empty (run `adserver db upgrade`)")
