"""`adserver advertisers list`: who advertises (ids and names), and finding one by either."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import storage
from ..errors import NotFound
from .context import Context, pass_ctx
from .tables import table, wide_option


@click.group("advertisers")
def group() -> None:
    """Advertisers (the catalog file's top level)."""


def find(db: storage.Database, key: str) -> storage.Advertiser:
    """The advertiser whose id is `key`, else whose name is (any case); NotFound otherwise."""
    with db.sessionmaker() as s:
        by_id = s.get(storage.Advertiser, key)
        if by_id is not None:
            return by_id
        named = s.scalars(select(storage.Advertiser)).all()
        hits = [a for a in named if a.name.casefold() == key.strip().casefold()]
    if len(hits) != 1:
        raise NotFound(
            f"no such advertiser {key!r} (give an id or a name from `adserver advertisers list`)"
            if not hits
            else f"{len(hits)} advertisers are named {key!r}: give the id ({', '.join(a.id for a in hits)})"
        )
    return hits[0]


@group.command("list")
@wide_option
@pass_ctx
def list_(ctx: Context, wide: bool) -> None:
    """Every advertiser: id, name, domain, and its campaigns (active / all)."""
    with ctx.services.db.sessionmaker() as s:
        rows = [
            [a.id, a.name, a.domain, f"{sum(c.status == 'active' for c in a.campaigns)} / {len(a.campaigns)}"]
            for a in s.scalars(
                select(storage.Advertiser)
                .options(selectinload(storage.Advertiser.campaigns))
                .order_by(storage.Advertiser.id)
            )
        ]
    if not rows:
        click.echo("no advertisers (import a catalog with `adserver catalog import FILE`)")
        return
    click.echo(table(rows, ["id", "name", "domain", "campaigns active / all"], wrap={1: 16, 2: 16}, wide=wide))
    click.echo(f"\n{len(rows)} advertisers")
