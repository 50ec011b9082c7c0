"""The shipped serving configuration (config/gunicorn.conf.py) as deployed: slow clients and limits."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from http.client import HTTPConnection

import pytest

from adserver.api.errors import MAX_QUERY_BYTES
from adserver.infra.redis_server import free_port
from tests.conftest import ROOT
from tests.processes import service_env, stop, wait_ready

pytestmark = pytest.mark.slow


@pytest.fixture
def served(settings_overrides, example_catalog):
    """gunicorn with the Procfile's configuration, one worker (the sync setup had two)."""
    port = free_port()
    env = service_env(
        settings_overrides,
        WEB_CONCURRENCY="1",
        HOST="127.0.0.1",
        PORT=str(port),
    )
    env.pop("WEB_THREADS", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "adserver:create_app()"],
        env=env,
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(port, proc)
        yield port
    finally:
        stop(proc)


def get(port: int, path: str, timeout: float = 5.0):
    conn = HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r, body


def test_healthz_keeps_answering_while_clients_send_their_headers_slowly(served):
    slow = []
    for _ in range(10):
        s = socket.create_connection(("127.0.0.1", served))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a")  # and never the rest
        slow.append(s)
    try:
        time.sleep(0.5)
        for s in slow:
            s.sendall(b"a")  # still sending: the server must not hand each a whole worker
        t = time.perf_counter()
        r, _ = get(served, "/healthz", timeout=3)
        assert r.status == 200 and time.perf_counter() - t < 1.0
        assert not any(c.isdigit() for c in r.getheader("Server", ""))  # no version to look up exploits for
    finally:
        for s in slow:
            s.close()


def test_a_query_string_the_api_reads_reaches_it_and_a_longer_one_is_json(served):
    near = "/v1/decision?topic=ai&summary=" + "x" * (MAX_QUERY_BYTES - 100)
    r, body = get(served, near)
    assert r.status == 400 and b'"summary"' in body  # our schema's answer (too long a summary), not the server's
    r, body = get(served, near + "x" * 200)
    assert r.status == 414 and r.getheader("Content-Type") == "application/json" and b"uri_too_long" in body
