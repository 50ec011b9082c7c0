"""`adserver worker`: an rq worker on the queues named in settings, against the settings' Redis."""

from __future__ import annotations

import click

from . import Context, pass_ctx


@click.command("worker")
@click.option("--burst", is_flag=True, help="Drain the queues, then exit (tests, cron).")
@click.option("--queue", "queues", multiple=True, help="Queue to listen on (default: the QUEUES setting).")
@pass_ctx
def command(ctx: Context, burst: bool, queues: tuple[str, ...]) -> None:
    """Run background jobs (event batches) from Redis."""
    from rq import Queue, Worker

    svc = ctx.services
    conn = svc.redis
    names = queues or svc.settings.queues
    worker = Worker([Queue(n, connection=conn) for n in names], connection=conn)
    click.echo(f"worker listening on {', '.join(names)} at {svc.settings.redis_url}")
    worker.work(burst=burst, with_scheduler=False)
