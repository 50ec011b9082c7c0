"""Spools per host: web processes beat their host's spool depth into Redis; `events status` lists every host."""

from __future__ import annotations

import socket
import time

import orjson

from adserver import create_app
from adserver.events import heartbeat
from adserver.events.spool import Spool
from adserver.infra import keys


def test_status_lists_each_hosts_spool_and_marks_a_silent_one_stale(services, cli, tmp_path):
    web_a, web_b = Spool(tmp_path / "a"), Spool(tmp_path / "b")
    for n in range(2):
        web_a.append(f'{{"n": {n}}}')
    web_a.flush()
    heartbeat.beat(services.redis, web_a, host="web-a")
    heartbeat.beat(services.redis, web_b, host="web-b")
    silent = orjson.dumps({"depth": 7, "seen": time.time() - 600})
    services.redis.hset(keys.SPOOLS, "web-c", silent)
    out = cli("events", "status").output
    rows = {line.split()[0]: line.split()[1:] for line in out.split("spools by host")[1].splitlines()[3:] if line}
    assert rows["web-a"][0] == "2" and "stale" not in " ".join(rows["web-a"])
    assert rows["web-b"][0] == "0"
    assert rows["web-c"][0] == "7" and "stale" in " ".join(rows["web-c"])


def test_a_host_silent_for_a_week_is_forgotten(services):
    services.redis.hset(keys.SPOOLS, "old-host", orjson.dumps({"depth": 0, "seen": time.time() - 8 * 86400}))
    services.redis.hset(keys.SPOOLS, "new-host", orjson.dumps({"depth": 0, "seen": time.time() - 6 * 86400}))
    assert [h.host for h in heartbeat.hosts(services.redis)] == ["new-host"]
    assert not services.redis.hexists(keys.SPOOLS, "old-host")


def test_a_web_process_beats_its_hosts_spool_from_the_start(services, settings_overrides):
    services.redis.delete(keys.SPOOLS)
    app = create_app(settings_overrides)  # another web process of this host
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not services.redis.hexists(keys.SPOOLS, socket.gethostname()):
            time.sleep(0.05)
        (mine,) = [h for h in heartbeat.hosts(services.redis) if h.host == socket.gethostname()]
        assert mine.depth == app.extensions["adserver"].events.spool.size() and not mine.stale()
    finally:
        app.extensions["adserver"].close()
