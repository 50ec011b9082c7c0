"""The operator CLI: one click group per noun, each command a thin call into the core.

Commands are registered explicitly at the bottom (as rq's CLI does), one line per noun; the object they
share, `Context`, lives in `cli/context.py`.
"""

from __future__ import annotations

import sys

import click
import redis
import sqlalchemy.exc
from sqlalchemy.engine import make_url

from .. import __version__
from ..errors import AdserverError
from ..infra import migrate, redis_client
from ..settings import SettingsError
from . import (
    advertisers,
    campaigns,
    catalog,
    db,
    decide,
    dev,
    events,
    model,
    report,
    review,
    sites,
    spend,
    tokens,
    worker,
)
from .context import Context
from .devenv import apply as apply_dev_env


def sql_problem(obj: Context | None, error: sqlalchemy.exc.DBAPIError) -> str | None:
    """What a SQL error means for an operator: the database is unreachable or not migrated (None: neither)."""
    services = obj._services if isinstance(obj, Context) else None
    if services is None:
        return None
    where = make_url(services.settings.database_url).render_as_string(hide_password=True)
    try:
        behind = migrate.behind(services.db)
    except sqlalchemy.exc.DBAPIError as e:
        return f"the SQL database {where} is unreachable ({_first_line(e.orig)}): start it, or set DATABASE_URL"
    if behind:
        return f"the SQL database {where} is not migrated to this version: run `adserver db upgrade`"
    return None


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


class Group(click.Group):
    """Turns setting, domain and outage errors into one clear line and a non-zero exit, not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SettingsError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(2)
        except (redis.ConnectionError, redis.TimeoutError) as e:
            settings = ctx.obj.settings_or_none() if isinstance(ctx.obj, Context) else None
            where = f" at {redis_client.describe(settings)}" if settings else ""
            fix = redis_client.setting(settings) if settings else "REDIS_URL"
            click.echo(f"error: Redis{where} is unreachable ({_first_line(e)}): start it, or set {fix}", err=True)
            sys.exit(3)
        except sqlalchemy.exc.DBAPIError as e:
            problem = sql_problem(ctx.obj, e)
            if problem is None:
                raise  # neither an outage nor a missing migration: a bug, with its traceback
            click.echo(f"error: {problem}", err=True)
            sys.exit(3)
        except AdserverError as e:
            click.echo(f"error: {e}", err=True)
            for path, msgs in getattr(e, "fields", {}).items():
                for m in msgs:
                    click.echo(f"  {path}: {m}", err=True)
            sys.exit(1)


@click.group(cls=Group)
@click.version_option(__version__, prog_name="adserver")
@click.option("--database-url", envvar="DATABASE_URL", help="SQL database (default from config/).")
@click.option("--redis-url", envvar="REDIS_URL", help="Redis (default from config/).")
@click.pass_context
def main(ctx: click.Context, database_url: str | None, redis_url: str | None) -> None:
    """adserver: contextual sponsor cards for news sites."""
    apply_dev_env(ctx.invoked_subcommand)  # in a checkout `make dev` runs in: the settings it runs with
    overrides = {k: v for k, v in {"database_url": database_url, "redis_url": redis_url}.items() if v}
    ctx.obj = Context(overrides)
    ctx.call_on_close(ctx.obj.close)


main.add_command(db.group)
main.add_command(catalog.group)
main.add_command(advertisers.group)
main.add_command(campaigns.group)
main.add_command(review.group)
main.add_command(sites.group)
main.add_command(tokens.group)
main.add_command(decide.command)
main.add_command(dev.command)
main.add_command(worker.command)
main.add_command(events.group)
main.add_command(model.group)
main.add_command(spend.command)
main.add_command(report.command)
