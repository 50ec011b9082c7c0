"""Scale-out as deployed: two web processes and two workers on one Redis and one database."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from http.client import HTTPConnection

import pytest
from sqlalchemy import func, select

from adserver import storage
from adserver.redis_server import free_port
from tests.builders import AI, BROWSER, rollup
from tests.processes import service_env, wait_ready

pytestmark = pytest.mark.slow


def request(port: int, method: str, path: str, body: bytes | None = None):
    conn = HTTPConnection("127.0.0.1", port, timeout=10)
    headers = dict(BROWSER, **({"Content-Type": "application/json"} if body else {}))
    conn.request(method, path, body, headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def test_two_web_processes_and_two_workers_count_exactly(settings_overrides, db, example_catalog, tmp_path):
    env = service_env(
        settings_overrides,
        WEB_CONCURRENCY="1",
        HOST="127.0.0.1",
        EVENT_BATCH_SIZE="50",
        BEACON_RATE_LIMIT="100000",
        IMPRESSION_RATE_LIMIT="100000",
    )
    ports = [free_port(), free_port()]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "adserver:create_app()"],
            env=dict(env, PORT=str(p)),
            stderr=(tmp_path / f"web-{p}.log").open("w"),  # shown below if a request fails
        )
        for p in ports
    ]
    procs += [
        subprocess.Popen(
            [sys.executable, "-m", "adserver", "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(2)
    ]
    try:
        for p, proc in zip(ports, procs[:2], strict=True):
            wait_ready(p, proc)
        sent = 0
        for i in range(150):
            port = ports[i % 2]
            status, data = request(port, "POST", "/v1/decision", json.dumps(AI).encode())
            assert status == 200
            d = json.loads(data)
            other = ports[(i + 1) % 2]  # the beacon may land on another web process
            status = request(other, "POST", "/" + d["tracking"]["view_url"].split("/", 3)[3])[0]
            assert status == 204, (tmp_path / f"web-{other}.log").read_text()[-3000:]
            assert request(port, "GET", "/" + d["tracking"]["click_url"].split("/", 3)[3])[0] == 302
            assert request(other, "GET", "/" + d["tracking"]["click_url"].split("/", 3)[3])[0] == 302  # replay
            sent += 3
        deadline = time.monotonic() + 150  # SQLite serialises the two workers' writes; retries back off
        while time.monotonic() < deadline:
            with db.sessionmaker() as s:
                if s.scalar(select(func.count()).select_from(storage.Event)) >= sent:
                    break
            time.sleep(0.3)
        time.sleep(1.5)  # anything doubled would land now
        got = rollup(db, campaign=None)  # even pacing may hand some decisions to another campaign
        assert (got["impressions"], got["views"], got["clicks"]) == (150, 150, 150)
        with db.sessionmaker() as s:
            assert s.scalar(select(func.count()).select_from(storage.Event)) == sent
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(20)
