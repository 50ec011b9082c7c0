"""`adserver worker`: an rq worker on the configured queues (the Procfile's `worker:` line)."""

from __future__ import annotations

import click

from . import Context, pass_ctx


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queues are empty (tests, batch runs).")
@pass_ctx
def command(ctx: Context, burst: bool) -> None:
    """Process queued jobs until stopped."""
    from rq import Queue, Worker

    svc = ctx.services
    conn = svc.redis
    queues = [Queue(name, connection=conn) for name in svc.settings.queues]
    click.echo(f"worker on {', '.join(svc.settings.queues)} at {svc.settings.redis_url}")
    Worker(queues, connection=conn).work(burst=burst, with_scheduler=not burst)
