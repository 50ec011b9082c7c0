"""Every host's spool, seen from anywhere: web processes beat their host's spool depth into Redis.

A spool is a directory on one host, replayed by that host's web processes; `adserver events status`
run elsewhere lists every host's last beat. While Redis is down no beat gets through: a host's line then
shows its depth when Redis was last reachable, and how long ago that was.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass

import orjson
import redis

from ..infra import keys
from .spool import Spool

log = logging.getLogger(__name__)

INTERVAL = 10.0  # seconds between beats
FORGET_AFTER = 7 * 86400  # a host silent this long is dropped from the list (decommissioned)


@dataclass(frozen=True)
class HostSpool:
    host: str
    depth: int  # events in its spool, waiting for Redis
    seen: float  # when it last said so (epoch seconds)

    def age(self, now: float | None = None) -> float:
        return (now or time.time()) - self.seen

    def stale(self, now: float | None = None) -> bool:
        """Missed three beats: the host is down, or cannot reach Redis (its spool may be growing)."""
        return self.age(now) > 3 * INTERVAL


def beat(conn: redis.Redis, spool: Spool, host: str | None = None) -> None:
    value = orjson.dumps({"depth": spool.size(), "seen": time.time()})
    conn.hset(keys.SPOOLS, host or socket.gethostname(), value)


def hosts(conn: redis.Redis, now: float | None = None) -> list[HostSpool]:
    """Every host's last beat, by name; hosts silent for FORGET_AFTER are forgotten."""
    now = now or time.time()
    out, gone = [], []
    for host, raw in conn.hgetall(keys.SPOOLS).items():
        d = orjson.loads(raw)
        entry = HostSpool(host.decode(), int(d["depth"]), float(d["seen"]))
        (gone if entry.age(now) > FORGET_AFTER else out).append(entry)
    if gone:
        conn.hdel(keys.SPOOLS, *(h.host for h in gone))
    return sorted(out, key=lambda h: h.host)


class Heartbeat:
    """A web process's beat: a daemon thread, started in the process that serves (after gunicorn forks)."""

    def __init__(self, conn: redis.Redis, spool: Spool, interval: float = INTERVAL, host: str | None = None):
        self.conn, self.spool, self.interval, self.host = conn, spool, interval, host
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Heartbeat:
        self._thread = threading.Thread(target=self._run, name="spool-heartbeat", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                beat(self.conn, self.spool, self.host)
            except redis.RedisError:
                pass  # Redis away: the spool is taking events; the beat resumes when Redis answers
            except Exception:
                log.exception("spool heartbeat failed")
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
