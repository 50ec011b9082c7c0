"""Fault injection: Redis stopped mid-stream, a worker SIGKILLed mid-batch. Counts stay exact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from rq import Queue
from rq.registry import StartedJobRegistry

from adserver import create_app
from adserver.events import PENDING, QUEUE
from adserver.reconcile import reconcile
from adserver.redis_server import start_local
from tests.events_helpers import BROWSER, counts, decide, drain, path

pytestmark = pytest.mark.slow


@pytest.fixture
def own_redis():
    server = start_local()
    yield server
    server.stop()


@pytest.fixture
def fault_app(settings_overrides, own_redis, example_catalog):
    app = create_app({**settings_overrides, "redis_url": own_redis.url, "events_stale_seconds": 1.0})
    yield app
    app.extensions["adserver"].close()


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_redis_stopped_and_restarted_mid_stream_loses_and_doubles_nothing(fault_app, own_redis):
    svc = fault_app.extensions["adserver"]
    svc.redis.config_set("save", "3600 1")  # a clean shutdown writes what Redis holds, as production AOF/RDB does
    c = fault_app.test_client()
    views = []
    for _ in range(20):
        views.append(path(decide(c)["tracking"]["view_url"]))
    own_redis.stop()
    for _ in range(20):
        body = decide(c)  # decisions keep being served from memory
        views.append(path(body["tracking"]["view_url"]))
    for u in views:
        assert c.post(u, headers=BROWSER).status_code == 204
    assert svc.events.spool.size()[0] >= 1
    own_redis.start()
    assert wait_for(lambda: svc.events.spool.size()[0] == 0), "spool was not replayed"
    drain(svc)
    day = datetime.now(UTC).date()
    assert counts(svc.db) == {("impression", True): 40, ("view", True): 40}
    assert reconcile(svc.db, svc.redis, day) == []


def _worker(url_db, url_redis) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url_db, "REDIS_URL": url_redis}
    code = (
        "import sys; from redis import Redis; from rq import Queue, Worker; r = Redis.from_url(sys.argv[1]); "
        f"Worker([Queue('{QUEUE}', connection=r)], connection=r).work(burst=True)"
    )
    return subprocess.Popen([sys.executable, "-c", code, url_redis], env=env, start_new_session=True)


def test_worker_killed_mid_batch_then_retried_gives_exact_counts(fault_app, own_redis, settings_overrides):
    svc = fault_app.extensions["adserver"]
    svc.events.stop()
    svc.events.batch_size = 4000
    c = fault_app.test_client()
    from adserver.events import Event, impression  # noqa: F401

    body = decide(c)
    d0 = svc.redis.lindex("adserver:events:buffer", 0)
    base = Event.from_json(d0)
    svc.redis.delete("adserver:events:buffer")
    from dataclasses import replace

    for i in range(4000):
        svc.events.record(replace(base, decision_id=f"{i:032x}"))
    svc.events.flush()
    worker = _worker(settings_overrides["database_url"], own_redis.url)
    q = Queue(QUEUE, connection=svc.redis)
    assert wait_for(lambda: StartedJobRegistry(queue=q).count > 0, 30)
    time.sleep(0.3)
    os.killpg(worker.pid, signal.SIGKILL)  # the worker and its work-horse, mid-batch
    worker.wait()
    assert svc.redis.zcard(PENDING) == 1 or counts(svc.db).get(("impression", True)) == 4000
    time.sleep(1.2)
    svc.events.requeue_stale()
    w2 = _worker(settings_overrides["database_url"], own_redis.url)
    w2.wait(120)
    assert counts(svc.db) == {("impression", True): 4000}
    assert svc.redis.zcard(PENDING) == 0
    assert body
