"""`adserver events status|replay|reconcile`: the event pipeline for operators."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, date, datetime, timedelta

import click
from rq import Queue
from rq.registry import FailedJobRegistry, StartedJobRegistry
from tabulate import tabulate

from ..events import heartbeat, jobs, partitions, reconcile, store
from .context import Context, pass_ctx
from .progress import progress_bar
from .tables import table


@click.group("events")
def group() -> None:
    """Impressions, views and clicks on their way to SQL."""


@group.command()
@pass_ctx
def status(ctx: Context) -> None:
    """Queue depth, spool size, failed jobs and lag."""
    svc = ctx.services
    conn = svc.redis
    ks = svc.keys
    q = Queue(svc.settings.queues[0], connection=svc.rq)
    stale_before = jobs.now_ms() - jobs.STALE_BATCH_SECONDS * 1000
    lag = f"{jobs.lag_seconds(conn, ks):.1f}s"
    batches = [conn.zrange(ks.batches(shard), 0, -1, withscores=True) for shard in ks.all()]
    rows = [
        ["events waiting in Redis", jobs.waiting(conn, ks)],
        ["events in unfinished batches", sum(conn.llen(k) for found in batches for k, _ in found)],
        ["unfinished batches over a minute old", sum(1 for found in batches for _, t in found if t <= stale_before)],
        ["rate-limited beacons not yet in rollups", store.rate_limited_pending(conn, ks)],
        ["persist jobs queued", len(q)],
        ["persist jobs running", len(StartedJobRegistry(queue=q))],
        ["failed jobs", len(FailedJobRegistry(queue=q))],
        ["spooled on this machine", svc.events.spool.size()],
        ["lag (oldest waiting event)", lag],
    ]
    click.echo(tabulate(rows, tablefmt="simple"))
    spools = heartbeat.hosts(conn)
    if spools:
        now = time.time()
        stale = " (stale: down, or cannot reach Redis)"
        lines = [[h.host, h.depth, f"{h.age(now):.0f}s ago" + (stale if h.stale(now) else "")] for h in spools]
        click.echo(f"\nspools by host (web processes beat every {heartbeat.INTERVAL:.0f}s):")
        click.echo(table(lines, ["host", "spooled events", "last seen"]))


@group.command()
@pass_ctx
def replay(ctx: Context) -> None:
    """Replay this machine's spool, requeue failed jobs, and persist batches left by killed workers."""
    svc = ctx.services
    jobs.use(svc)  # the persist job below runs here, on this command's database
    q = Queue(svc.settings.queues[0], connection=svc.rq)
    with progress_bar() as bar:
        bar.start(None, "replaying")
        bar.advance(0, "the spool")
        spooled = svc.events.replay_spool(everyone=True)
        failed = FailedJobRegistry(queue=q)
        job_ids = failed.get_job_ids()
        bar.start(len(job_ids), "requeueing failed jobs")
        for job_id in job_ids:
            failed.requeue(job_id)
            bar.advance()
        bar.start(None, "persisting")
        bar.advance(0, "batches of killed workers")
        orphaned = jobs.persist_orphaned_batches(svc)
        bar.advance(0, "waiting events")
        pending = jobs.persist_pending(batch="replay")
    requeued = len(job_ids)
    click.echo(
        f"spool: {spooled} events replayed; failed jobs requeued: {requeued}; "
        f"orphaned batches: {orphaned} new events; persisted now: {pending} new events"
    )


@group.command("reconcile")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="UTC day (default today)")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def reconcile_(ctx: Context, day, as_json: bool) -> None:
    """Compare raw events, rollups and Redis counters for one day; exit 1 on any difference."""
    svc = ctx.services
    d: date = day.date() if day else datetime.now(UTC).date()
    diffs = reconcile.differences(svc.db, svc.redis, d, svc.keys)
    if as_json:
        click.echo(json.dumps({"date": d.isoformat(), "differences": diffs, "totals": reconcile.totals(svc.db, d)}))
        raise SystemExit(1 if diffs else 0)
    counts = reconcile.summary(svc.db, svc.redis, d, svc.keys)
    columns = ["event", "traffic", "raw", "rollups", "redis"]
    if counts:
        click.echo(table([[c[k] for k in columns] for c in counts], columns))
    if diffs:
        click.echo(f"\n{d}: {len(diffs)} difference(s) (events still queued show as redis > raw):")
        columns = ["campaign", *columns]
        click.echo(table([[r[k] for k in columns] for r in diffs], columns))
        raise SystemExit(1)
    click.echo(f"\n{d}: raw events, rollups and Redis counters agree" if counts else f"{d}: no events")


class Days(click.ParamType):
    """A retention age in whole days, written `90d` (events are kept and dropped by day)."""

    name = "days"

    def convert(self, value, param, ctx) -> timedelta:
        if isinstance(value, timedelta):
            return value
        m = re.fullmatch(r"\s*(\d{1,5})d\s*", str(value))
        if not m or int(m.group(1)) < 1:
            self.fail(f"{value!r} is not a number of days of at least 1, written like 90d", param, ctx)
        return timedelta(days=int(m.group(1)))


@group.command()
@click.option("--older-than", "older_than", type=Days(), required=True, help="age in days, e.g. 90d")
@pass_ctx
def prune(ctx: Context, older_than: timedelta) -> None:
    """Delete raw events of decisions older than --older-than (rollups and reports keep them)."""
    done = partitions.prune(ctx.worker_services().db, older_than)
    cutoff = partitions.today() - older_than
    click.echo(
        f"raw events decided before {cutoff}: {done.partitions} day partitions dropped, {done.rows} rows deleted"
    )


@group.command("partitions")
@pass_ctx
def partitions_(ctx: Context) -> None:
    """Create the coming days' partitions of the raw events now (PostgreSQL; workers also do it hourly)."""
    db = ctx.worker_services().db
    created = partitions.ensure_partitions(db)
    if db.engine.dialect.name != "postgresql":
        click.echo("SQLite keeps raw events in one table: nothing to create")
        return
    click.echo(f"created {len(created)} partitions" + (f": {', '.join(map(str, created))}" if created else ""))
