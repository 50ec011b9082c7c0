"""The worker side of the event pipeline (`adserver.events.jobs`): batches taken, written once, recovered."""

from __future__ import annotations

import os
import signal
import subprocess

from adserver.events import jobs
from adserver.infra import keys, lua
from tests.builders import raw_count, rollup, serve


def test_a_retried_batch_does_not_double_count(client, db, services, persist, example_catalog):
    for _ in range(10):
        serve(client)
    raw = services.redis.lrange(keys.INCOMING, 0, -1)
    persist()
    # A worker killed after writing but before deleting its batch: the same events come again.
    services.redis.rpush("adserver:events:batch:test", *raw)
    persist()
    assert rollup(db)["impressions"] == 10
    assert raw_count(db) == 10


def test_orphaned_batch_of_a_killed_worker_is_persisted_by_replay(client, db, services, example_catalog):
    for _ in range(4):
        serve(client)
    services.redis.rename(keys.INCOMING, "adserver:events:batch:dead-job")  # taken, never written
    assert jobs.persist_orphaned_batches(services) == 4
    assert rollup(db)["impressions"] == 4
    assert not services.redis.exists("adserver:events:batch:dead-job")


def _batch_taken_by(services, worker_pid: int) -> str:
    """Queued events moved into the batch of a job run by a registered rq worker of process `worker_pid`."""
    from rq import Queue, Worker

    conn = services.redis
    worker = Worker([Queue("adserver-events", connection=conn)], connection=conn)
    worker.register_birth()
    conn.hset(worker.key, "pid", worker_pid)
    job = Queue("adserver-events", connection=conn).enqueue(jobs.persist_pending)
    job.worker_name = worker.name
    job.save()
    conn.rename(keys.INCOMING, keys.BATCH_PREFIX + job.id)
    return keys.BATCH_PREFIX + job.id


def test_a_starting_worker_writes_the_batch_of_a_worker_whose_process_is_gone(client, db, services, example_catalog):
    for _ in range(4):
        serve(client)
    dead = subprocess.Popen(["true"])
    dead.wait()
    key = _batch_taken_by(services, dead.pid)  # still registered in rq: a SIGKILL unregisters nothing
    assert jobs.persist_batches_of_dead_workers(services) == 4
    assert rollup(db)["impressions"] == 4 and not services.redis.exists(key)


def test_a_starting_worker_leaves_the_batch_of_a_live_worker(client, db, services, example_catalog):
    serve(client)
    key = _batch_taken_by(services, os.getpid())
    assert jobs.persist_batches_of_dead_workers(services) == 0
    assert services.redis.llen(key) == 1


def test_a_batch_whose_worker_died_is_claimed_once_and_written(client, services, db, example_catalog):
    for _ in range(3):
        serve(client)
    key = "adserver:events:batch:killed"
    minute_ago = jobs.now_ms() - (jobs.STALE_BATCH_SECONDS + 1) * 1000
    services.redis.register_script(lua.TAKE)(keys=[keys.INCOMING, key, keys.BATCHES], args=[100, minute_ago])
    assert jobs.claim_stale_batches(services.redis, services.keys) == [key]
    assert jobs.claim_stale_batches(services.redis, services.keys) == []  # claimed by one tick only
    jobs.use(services)
    assert jobs.persist_batch(key) == 3
    assert rollup(db)["impressions"] == 3
    assert not services.redis.exists(key) and services.redis.zcard(keys.BATCHES) == 0


def test_the_tick_queues_a_job_for_a_stale_batch(client, services, example_catalog):
    from rq import Queue

    serve(client)
    key = "adserver:events:batch:killed"
    minute_ago = jobs.now_ms() - (jobs.STALE_BATCH_SECONDS + 1) * 1000
    services.redis.register_script(lua.TAKE)(keys=[keys.INCOMING, key, keys.BATCHES], args=[100, minute_ago])
    queue = Queue(services.settings.queues[0], connection=services.redis)
    jobs.tick(services)
    assert ("adserver.events.jobs.persist_batch", (key,)) in [(j.func_name, j.args) for j in queue.jobs]


def test_the_job_the_sink_enqueues_runs_in_an_rq_worker(client, db, services, example_catalog):
    """The sink names its job by dotted path (it imports none of the worker's code): the path must resolve."""
    from rq import Queue

    jobs.use(services)
    services.redis.flushdb()
    services.events.batch_size = 2
    serve(client), serve(client)  # a full batch: one job
    queue = Queue(services.settings.queues[0], connection=services.redis)
    assert [j.func_name for j in queue.jobs] == ["adserver.events.jobs.persist_pending"]
    run_burst(queue)
    assert rollup(db)["impressions"] == 2 and queue.failed_job_registry.count == 0


def test_a_job_queued_under_its_old_path_still_runs(client, db, services, example_catalog):
    """Jobs queued before a deploy moved them (`adserver.jobs.*`) must still run after it."""
    from rq import Queue

    jobs.use(services)
    serve(client)
    queue = Queue(services.settings.queues[0], connection=services.redis)
    queue.enqueue("adserver.jobs.persist_pending")
    run_burst(queue)
    assert rollup(db)["impressions"] == 1 and queue.failed_job_registry.count == 0


def run_burst(queue) -> None:
    """Run the queue's jobs in this process, as an rq worker does. rq installs its own SIGINT/SIGTERM
    handlers and leaves them: put the test process's back, or later tests' signals would stop rq."""
    from rq import SimpleWorker

    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
