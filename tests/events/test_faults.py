"""Fault injection on the real pipeline: a SIGKILLed worker, Redis stopped mid-stream."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from adserver.infra import keys, storage
from adserver.infra.redis_server import start_local
from tests.builders import AI, BROWSER, rollup, zahid_event
from tests.processes import gone, kill_worker_and_horse

pytestmark = pytest.mark.slow


def worker_env(settings_overrides, redis_url=None) -> dict:
    return dict(
        os.environ,
        DATABASE_URL=settings_overrides["database_url"],
        REDIS_URL=redis_url or settings_overrides["redis_url"],
        SECRET_KEY=settings_overrides["secret_key"],
        ENVIRONMENT="test",
    )


def queue_events(redis, n: int, campaign="zahid-ai-side-projects") -> None:
    """n distinct impressions straight onto the incoming list (as web processes would)."""
    day_key = None
    pipe = redis.pipeline(transaction=False)
    for i in range(n):
        e = zahid_event(f"{i:032x}", campaign_id=campaign)
        day_key = keys.counts(e.day)
        pipe.rpush(keys.INCOMING, e.to_json())
        if i % 1000 == 999:
            pipe.execute()
    pipe.hincrby(day_key, f"{campaign}:impression:b", n)
    pipe.execute()


def raw_count(db) -> int:
    """Rows of the events `queue_events` made (ids zero-padded): another test's late event in the
    shared session Redis must not pass for a doubled one."""
    with db.sessionmaker() as s:
        ours = storage.Event.decision_id.like("0" * 24 + "%")
        return s.scalar(select(func.count()).select_from(storage.Event).where(ours))


def test_worker_killed_mid_batch_loses_and_doubles_nothing(services, db, settings_overrides, example_catalog):
    n = 12000
    services.redis.flushdb()  # nothing left over from earlier tests on this Redis
    queue_events(services.redis, n)
    env = worker_env(settings_overrides)
    from adserver.events.sink import enqueue_persist

    enqueue_persist(services.redis, services.settings.queues[0])
    worker = subprocess.Popen(
        [sys.executable, "-m", "adserver", "worker", "--burst"],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(services.redis.scan_iter(match=keys.BATCH_PREFIX + "*")):
        time.sleep(0.005)
    horses = kill_worker_and_horse(worker.pid)  # mid-batch; the horse too, in its own process group
    worker.wait()
    assert horses and gone(horses)
    assert raw_count(db) < n  # it really died before finishing
    assert any(services.redis.scan_iter(match=keys.BATCH_PREFIX + "*"))  # its batch is left behind
    # The next worker to start recovers the dead one's batch at once (the dead one is still registered
    # in rq, and no 60 s stale check is waited for) and drains the rest.
    subprocess.run(
        [sys.executable, "-m", "adserver", "worker", "--burst"], env=env, check=True, timeout=120, capture_output=True
    )
    assert raw_count(db) == n
    assert rollup(db)["impressions"] == n


def test_redis_outage_spools_and_replays_exactly(settings_overrides, example_catalog, tmp_path):
    from adserver import create_app
    from adserver.events import jobs as event_jobs
    from adserver.events.jobs import persist_pending

    redis = start_local(durable=True)  # production Redis runs with an append-only file
    app = create_app({**settings_overrides, "redis_url": redis.url, "spool_dir": str(tmp_path / "spool")})
    svc = app.extensions["adserver"]
    svc.catalog.refresh(force=True)
    client = app.test_client()
    served = []
    for i in range(30):
        if i == 10:
            redis.stop()  # Redis dies mid-stream
        if i == 20:
            redis.start()  # and comes back (empty: it keeps nothing on disk)
        r = client.post("/v1/decision", json=AI, headers=BROWSER)
        assert r.status_code == 200  # decisions keep being served from memory
        served.append(r.get_json()["decision_id"])
    # The web process replays its spool by itself once Redis answers again.
    deadline = time.monotonic() + 10
    while svc.events.spool.files() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert svc.events.spool.files() == []
    event_jobs.use(svc)
    persist_pending(batch="outage")
    with svc.db.sessionmaker() as s:
        stored = set(s.scalars(select(storage.Event.decision_id)))
    # 0-9 were in Redis (its append-only file kept them), 10-19 spooled and replayed, 20-29 direct.
    missing = [i for i, d in enumerate(served) if d not in stored]
    assert missing == []
    assert stored == set(served)
    assert rollup(svc.db)["impressions"] == 30
    svc.close()
    redis.stop()
