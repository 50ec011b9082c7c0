"""The operator CLI: one click group per noun, each command a thin call into the core.

Commands are registered explicitly at the bottom (as rq's CLI does), one line per noun.
"""

from __future__ import annotations

import sys

import click

from ..errors import AdserverError
from ..settings import SettingsError


class Context:
    """Lazily built services for one CLI run (settings validated once, at first use)."""

    def __init__(self, overrides: dict):
        self.overrides = overrides
        self._services = None

    @property
    def services(self):
        return self.worker_services(ranking=True)

    def worker_services(self, ranking: bool = False):
        """The services, built on first use; `ranking=False` for a process that only runs jobs (no model)."""
        if self._services is None:
            from ..services import build

            self._services = build(self.overrides, ranking)
        return self._services

    @property
    def settings(self):
        return self.services.settings

    def close(self) -> None:
        """Release connections (matters when one process runs many commands, as tests do)."""
        if self._services is not None:
            self._services.close()
            self._services = None


pass_ctx = click.make_pass_decorator(Context)


class Group(click.Group):
    """Turns setting and domain errors into one clear line and exit code 1, not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SettingsError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(2)
        except AdserverError as e:
            click.echo(f"error: {e}", err=True)
            for path, msgs in getattr(e, "fields", {}).items():
                for m in msgs:
                    click.echo(f"  {path}: {m}", err=True)
            sys.exit(1)


@click.group(cls=Group)
@click.option("--database-url", envvar="DATABASE_URL", help="SQL database (default from config/).")
@click.option("--redis-url", envvar="REDIS_URL", help="Redis (default from config/).")
@click.pass_context
def main(ctx: click.Context, database_url: str | None, redis_url: str | None) -> None:
    """adserver: contextual sponsor cards for news sites."""
    overrides = {k: v for k, v in {"database_url": database_url, "redis_url": redis_url}.items() if v}
    ctx.obj = Context(overrides)
    ctx.call_on_close(ctx.obj.close)


from . import advertisers, campaigns, catalog, db, decide, dev, events, model, report, spend, tokens, worker  # noqa: E402

main.add_command(db.group)
main.add_command(catalog.group)
main.add_command(advertisers.group)
main.add_command(campaigns.group)
main.add_command(tokens.group)
main.add_command(decide.command)
main.add_command(dev.command)
main.add_command(worker.command)
main.add_command(events.group)
main.add_command(model.group)
main.add_command(spend.command)
main.add_command(report.command)
