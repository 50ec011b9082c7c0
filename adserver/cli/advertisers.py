"""`adserver advertisers list|limits`: who advertises (ids and names), finding one by either, and what each may
change itself."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal, InvalidOperation

import click
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..catalog import self_service
from ..errors import NotFound
from ..infra import storage
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


def _amount(value: str) -> Decimal | None:
    """A limit from the command line: an amount, or `none` to take the limit away."""
    if value.strip().lower() == "none":
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not an amount (or `none`)") from None
    if not amount.is_finite() or amount < 0:
        raise click.BadParameter(f"{value!r}: give an amount of 0 or more")
    return amount


@group.command()
@click.argument("advertiser")
@click.option("--no", "revoke", is_flag=True, help="Its changes wait for review again.")
@pass_ctx
def trust(ctx: Context, advertiser: str, revoke: bool) -> None:
    """Approve ADVERTISER's own changes as it makes them (`adserver review` otherwise holds them)."""
    adv = find(ctx.services.db, advertiser)
    self_service.set_trusted(ctx.services.db, adv.id, not revoke)
    click.echo(f"{adv.id}: {'changes wait for review' if revoke else 'trusted: changes serve as they are made'}")


LIMIT_OPTIONS = {
    "max_total_budget": "Cap on the sum of the total budgets of its campaigns that can still spend.",
    "max_daily_budget": "Cap on the sum of their daily budgets.",
    "min_cpm": "Lowest CPM price it may set (unset: it cannot choose CPM pricing itself).",
    "min_cpc": "Lowest CPC price it may set (unset: it cannot choose CPC pricing itself).",
    "min_relevance": "Lowest targeting.min_relevance (0-1) its campaigns may set (unset: SELF_SERVICE_MIN_RELEVANCE).",
}
SHARES = ("min_relevance",)  # 0 to 1, in no currency; unset falls back to the operator's setting


def _limit(name: str, value: str) -> Decimal | None:
    amount = _amount(value)
    if name in SHARES and amount is not None and amount > 1:
        raise click.BadParameter(f"{value!r}: give a share from 0 to 1", param_hint=f"--{name.replace('_', '-')}")
    return amount


def _shown(name: str, value: Decimal | None, currency: str, settings) -> str:
    if name == "min_relevance":
        return f"{settings.self_service_min_relevance:g} (the default)" if value is None else f"{value.normalize():f}"
    return "not allowed" if value is None else f"{value.normalize():f} {currency}"


@group.command()
@click.argument("advertiser")
@pass_ctx
def limits(ctx: Context, advertiser: str, **changes: str | None) -> None:
    """Show or set what ADVERTISER (id or name) may do with its own token (the self-service API): budget caps
    and price floors, in its currency, and the lowest relevance its campaigns may ask for. Only what it raises
    past a cap or lowers under a floor is refused; what you set in the catalog stays. `none` takes a limit away
    (then nothing is allowed; for min-relevance, the operator's default applies again)."""
    db = ctx.services.db
    adv = find(db, advertiser)
    given = {name: _limit(name, value) for name, value in changes.items() if value is not None}
    current = self_service.set_limits(db, adv.id, **given) if given else self_service.get_limits(db, adv.id)
    if given:
        click.echo(f"limits of {adv.id} set")
    settings = ctx.services.settings
    rows = [[n.replace("_", " "), _shown(n, v, adv.currency, settings)] for n, v in asdict(current).items()]
    click.echo(table(rows, ["limit", "value"]))


for _name, _help in reversed(LIMIT_OPTIONS.items()):
    _metavar = "SHARE|none" if _name in SHARES else "AMOUNT|none"
    limits = click.option(f"--{_name.replace('_', '-')}", _name, metavar=_metavar, help=_help)(limits)
