"""The request path's Lua calls (`adserver.infra.lua.LuaScript`) on a real Redis."""

from __future__ import annotations

import gc
import os
import threading

import pytest
import redis as redis_lib

from adserver.infra.lua import LuaScript
from adserver.infra.redis_client import from_url as redis_client
from adserver.infra.redis_server import start_local

INCR = "return redis.call('INCR', KEYS[1])"


@pytest.fixture
def conn(redis_url):
    c = redis_lib.Redis.from_url(redis_url)
    c.flushdb()
    return c


def test_runs_once_more_after_redis_forgot_the_script(conn, redis_url):
    script = LuaScript(redis_client(redis_url), INCR)
    assert script(keys=["n"]) == 1
    conn.script_flush()  # what a restarted Redis looks like
    assert script(keys=["n"]) == 2
    assert conn.get("n") == b"2"


def test_a_dropped_connection_fails_that_call_only_and_never_runs_it_twice(conn, redis_url):
    script = LuaScript(redis_client(redis_url), INCR)
    assert script(keys=["n"]) == 1
    conn.client_kill_filter(_type="normal", skipme=True)  # drops the script's connection
    outcomes = []
    for _ in range(3):
        try:
            outcomes.append(script(keys=["n"]))
        except redis_lib.ConnectionError:
            outcomes.append("error")
    assert outcomes[1:] == [outcomes[1], outcomes[1] + 1] and isinstance(outcomes[1], int)
    assert int(conn.get("n")) == outcomes[-1]  # every run answered, none run twice


def test_a_forked_child_uses_its_own_connection(conn, redis_url):
    script = LuaScript(redis_client(redis_url), INCR)
    assert script(keys=["n"]) == 1
    pid = os.fork()
    if pid == 0:  # child: its replies must be its own, not read off the parent's socket
        ok = all(script(keys=["child"]) == i for i in range(1, 51))
        os._exit(0 if ok else 1)
    for i in range(2, 52):
        assert script(keys=["n"]) == i
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and conn.get("child") == b"50"


def test_threads_that_end_leave_no_connection_behind(conn, redis_url):
    """A server that spawns a thread per request (werkzeug's) must not grow Redis connections."""
    script = LuaScript(redis_client(redis_url), INCR)
    script(keys=["n"])
    before = len(conn.client_list())
    for _ in range(30):
        t = threading.Thread(target=script, kwargs={"keys": ["n"]})
        t.start()
        t.join()
    gc.collect()
    assert conn.get("n") == b"31" and len(conn.client_list()) <= before + 1


def test_an_outage_of_many_failed_calls_does_not_lock_the_client_out_afterwards():
    """Each failed call drops its connection and the next makes a new one: those must not count against the
    pool's max_connections (100), or after an outage every command of the client would be refused."""
    server = start_local()
    try:
        client = redis_client(server.url)
        script = LuaScript(client, "return 7")
        assert script() == 7
        server.stop()
        for _ in range(client.connection_pool.max_connections + 20):
            with pytest.raises((redis_lib.ConnectionError, redis_lib.TimeoutError)):
                script()
        server.start()
        assert script() == 7
        assert client.ping()
    finally:
        server.stop()
