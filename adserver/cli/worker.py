"""`adserver worker`: an rq worker on the configured queues (the Procfile's `worker:` line)."""

from __future__ import annotations

import logging
import threading
import time

import click
import redis
from rq import Queue, Worker

from ..events import jobs, partitions
from ..infra import logs, redis_client
from .context import Context, pass_ctx

log = logging.getLogger(__name__)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queues are empty (tests, batch runs).")
@pass_ctx
def command(ctx: Context, burst: bool) -> None:
    """Process queued jobs until stopped."""
    svc = ctx.worker_services()
    logs.configure(svc.settings)  # rq's own lines too: it adds no handler of its own when the root has one
    jobs.use(svc)  # the jobs this worker runs write with its services
    queues = [Queue(name, connection=svc.rq) for name in svc.settings.queues]
    click.echo(f"worker on {', '.join(svc.settings.queues)} at {redis_client.describe(svc.settings)}")
    # Batches left by a worker that was killed (its process is gone) are written now, not in a minute.
    recovered = jobs.persist_batches_of_dead_workers(svc)
    if recovered:
        click.echo(f"recovered {recovered} events from batches of a killed worker")
    partitions.ensure_partitions(svc.db)
    if burst:
        jobs.tick(svc)
    else:
        threading.Thread(target=_tick_forever, args=(svc,), name="events-tick", daemon=True).start()
    Worker(queues, connection=svc.rq).work(burst=burst, with_scheduler=not burst)


def _tick_forever(svc) -> None:
    """Every second: make sure queued events have a persist job even when traffic is too thin to
    trigger one, and replay anything this machine spooled while Redis was away. Every hour: the coming
    days' partitions of the raw events (PostgreSQL)."""
    next_partitions = time.monotonic() + 3600
    while True:
        time.sleep(1.0)
        try:
            if time.monotonic() >= next_partitions:
                next_partitions = time.monotonic() + 3600
                partitions.ensure_partitions(svc.db)
            jobs.tick(svc)
        except redis.RedisError:
            continue
        except Exception:
            log.exception("events tick failed")
