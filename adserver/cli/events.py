"""`adserver events status|replay|reconcile`: look at and repair the event pipeline."""

from __future__ import annotations

import sys
import time
from datetime import date

import click
from tabulate import tabulate

from . import pass_ctx


@click.group("events")
def group() -> None:
    """The impression/view/click pipeline (Redis buffer -> rq queue `adserver-events` -> SQL)."""


def pipeline_status(services) -> dict:
    from rq import Queue
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    from ..events import BUFFER, PENDING, Event

    r = services.redis
    q = Queue("adserver-events", connection=r)
    files, size = services.events.spool.size()
    oldest = []
    head = r.lindex(BUFFER, 0)
    if head:
        oldest.append(Event.from_json(head).occurred_at.timestamp())
    first = r.zrange(PENDING, 0, 0, withscores=True)
    if first:
        oldest.append(first[0][1])
    return {
        "queue_depth": q.count,
        "buffer_length": r.llen(BUFFER),
        "pending_batches": r.zcard(PENDING),
        "started_jobs": StartedJobRegistry(queue=q).count,
        "failed_jobs": FailedJobRegistry(queue=q).count,
        "spool_files": files,
        "spool_bytes": size,
        "lag_seconds": round(time.time() - min(oldest), 3) if oldest else 0.0,
    }


@group.command()
@pass_ctx
def status(ctx) -> None:
    """Queue depth, buffer length, pending batches, failed jobs, spool size and lag."""
    for k, v in pipeline_status(ctx.services).items():
        click.echo(f"{k:16} {v}")


@group.command()
@pass_ctx
def replay(ctx) -> None:
    """Replay the local spool and failed jobs, re-enqueue stale batches, flush the buffer."""
    from rq import Queue
    from rq.registry import FailedJobRegistry

    svc = ctx.services
    sink = svc.events
    spooled = sink.replay_spool()
    registry = FailedJobRegistry(queue=Queue("adserver-events", connection=svc.redis))
    failed = 0
    for job_id in registry.get_job_ids():
        registry.requeue(job_id)
        failed += 1
    stale = sink.requeue_stale()
    sealed = sink.flush()
    click.echo(f"spooled events replayed: {spooled}; failed jobs requeued: {failed}; "
               f"stale batches requeued: {stale}; buffered events sealed: {sealed}")


@group.command()
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="UTC day, YYYY-MM-DD.")
@click.option("--no-redis", is_flag=True, help="Compare raw events and rollups only.")
@pass_ctx
def reconcile(ctx, day, no_redis: bool) -> None:
    """Raw events vs rollups vs Redis counters for one day; exit 1 on any difference."""
    from ..reconcile import reconcile as run

    svc = ctx.services
    d: date = day.date()
    diffs = run(svc.db, None if no_redis else svc.redis, d)
    if not diffs:
        click.echo(f"{d}: raw events, rollups and Redis counters agree")
        return
    rows = [(x.campaign_id, x.column, x.raw, x.rollup, "-" if x.redis is None else x.redis) for x in diffs]
    click.echo(tabulate(rows, headers=["campaign", "count", "raw", "rollup", "redis"]))
    sys.exit(1)
