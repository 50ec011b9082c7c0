"""Scale-out as deployed: two web processes and two workers on one Redis, or on a 3-master Redis Cluster
(rq on the plain one), and one database."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from http.client import HTTPConnection

import pytest
from redis.cluster import RedisCluster
from sqlalchemy import func, select

from adserver.infra import storage
from adserver.infra.keys import KeySpace
from adserver.infra.redis_server import free_port
from tests.builders import AI, BROWSER, raw_count, rollup
from tests.processes import gone, kill_worker_and_horse, service_env, stop, wait_ready

pytestmark = pytest.mark.slow


def request(port: int, method: str, path: str, body: bytes | None = None):
    conn = HTTPConnection("127.0.0.1", port, timeout=10)
    headers = dict(BROWSER, **({"Content-Type": "application/json"} if body else {}))
    conn.request(method, path, body, headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


ZAHID, CLICK_PRICE, BUDGET = "zahid-ai-side-projects", 0.45, 18.0  # the budget: 40 clicks


def start_worker(env: dict) -> subprocess.Popen:
    """`adserver worker` in a process group of its own (so a kill takes its work horse too)."""
    return subprocess.Popen(
        [sys.executable, "-m", "adserver", "worker"],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_two_web_processes_and_two_workers_count_exactly(settings_overrides, db, example_catalog, tmp_path):
    """Decisions, views and clicks through two web servers (two hosts' gunicorn masters), two workers, one
    SIGKILLed mid-run and restarted as a process manager would: every event stored once, rollups equal to
    the raw rows, and the campaign that runs out of budget billed at most one click's price past it per node."""
    scale_out(service_env(settings_overrides), db, tmp_path)


def test_the_same_on_a_redis_cluster(settings_overrides, db, example_catalog, tmp_path, redis_cluster):
    """The same run with the service's Redis a 3-master cluster (16 shards) and rq's queues on a plain Redis."""
    redis_cluster.flush()
    env = service_env(
        settings_overrides, REDIS_CLUSTER_NODES=redis_cluster.addresses, RQ_REDIS_URL=settings_overrides["redis_url"]
    )
    scale_out(env, db, tmp_path)
    # The campaign's spend was booked in the cluster, on its shard's slot.
    spend_key = KeySpace(16, tagged=True).spend(ZAHID, "")[0]
    assert RedisCluster(host="127.0.0.1", port=redis_cluster.ports[0]).get(spend_key)


def scale_out(env: dict, db, tmp_path) -> None:
    with db.session() as s:
        s.get(storage.Campaign, ZAHID).total_budget = BUDGET
        db.bump_catalog_version(s)
    env = dict(
        env,
        WEB_CONCURRENCY="1",
        HOST="127.0.0.1",
        EVENT_BATCH_SIZE="50",
        BEACON_RATE_LIMIT="100000",
        IMPRESSION_RATE_LIMIT="100000",
    )
    ports = [free_port(), free_port()]
    webs = [
        subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "adserver:create_app()"],
            env=dict(env, PORT=str(p)),
            stderr=(tmp_path / f"web-{p}.log").open("w"),  # shown below if a request fails
        )
        for p in ports
    ]
    workers = [start_worker(env) for _ in range(2)]
    decisions = 150
    try:
        for p, proc in zip(ports, webs, strict=True):
            wait_ready(p, proc)
        for i in range(decisions):
            if i == decisions // 2:  # one worker dies mid-run, its batch in hand or not; it comes back
                horses = kill_worker_and_horse(workers[0].pid)
                workers[0].wait()
                assert gone(horses)
                workers[0] = start_worker(env)
            port = ports[i % 2]
            status, data = request(port, "POST", "/v1/decision", json.dumps(AI).encode())
            assert status == 200
            d = json.loads(data)
            other = ports[(i + 1) % 2]  # the beacon may land on another web process
            status = request(other, "POST", "/" + d["tracking"]["view_url"].split("/", 3)[3])[0]
            assert status == 204, (tmp_path / f"web-{other}.log").read_text()[-3000:]
            assert request(port, "GET", "/" + d["tracking"]["click_url"].split("/", 3)[3])[0] == 302
            assert request(other, "GET", "/" + d["tracking"]["click_url"].split("/", 3)[3])[0] == 302  # replay
        sent = decisions * 3
        deadline = time.monotonic() + 150  # SQLite serialises the two workers' writes; retries back off
        while time.monotonic() < deadline and raw_count(db) < sent:
            time.sleep(0.3)
        time.sleep(1.5)  # anything doubled would land now
        with db.sessionmaker() as s:
            by_type = dict(
                s.execute(select(storage.Event.event_type, func.count()).group_by(storage.Event.event_type)).all()
            )
        assert by_type == {"impression": decisions, "view": decisions, "click": decisions}
        got = rollup(db, campaign=None)  # even pacing may hand some decisions to another campaign
        assert [got[k] + got[f"nb_{k}"] for k in ("impressions", "views", "clicks")] == [decisions] * 3
        assert rollup(db, ZAHID)["spend"] <= BUDGET + CLICK_PRICE * len(webs) + 1e-9
        assert rollup(db, ZAHID)["clicks"] < decisions  # it did run out
    finally:
        stop(*webs, *workers)
