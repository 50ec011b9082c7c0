"""Real Redis topologies the tests start from `redis-server`: a master with a replica watched by Sentinels."""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
import redis.sentinel

from adserver.redis_server import LocalRedis, free_port, redis_server_binary

SERVICE = "adserver-test"


def _wait(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (redis.RedisError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} within {timeout}s")


@dataclass
class SentinelSetup:
    """A master, one replica of it, and two Sentinels (quorum 1) that fail over within a few seconds."""

    master: LocalRedis
    replica: LocalRedis
    sentinel_ports: list[int]
    dir: Path
    sentinels: list[subprocess.Popen] = field(default_factory=list)

    @property
    def addresses(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)

    def master_port(self) -> int:
        r = redis.Redis(port=self.sentinel_ports[0], socket_timeout=1)
        return int(r.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)[1])

    def stop(self) -> None:
        for proc in self.sentinels:
            proc.terminate()
        for proc in self.sentinels:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.master.stop()
        self.replica.stop()


def start_sentinel_setup() -> SentinelSetup:
    binary = redis_server_binary()
    d = Path(tempfile.mkdtemp(prefix="adserver-sentinel-"))
    (d / "master").mkdir(), (d / "replica").mkdir()
    master = LocalRedis(free_port(), str(d / "master"), binary).start()
    replica = LocalRedis(free_port(), str(d / "replica"), binary).start()
    setup = SentinelSetup(master, replica, [free_port(), free_port()], d)
    try:
        redis.Redis(port=replica.port).replicaof("127.0.0.1", master.port)
        _wait(lambda: redis.Redis(port=replica.port).info("replication")["master_link_status"] == "up", 20, "no sync")
        for port in setup.sentinel_ports:
            conf = d / f"sentinel-{port}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {d}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {master.port} 1\n"
                f"sentinel down-after-milliseconds {SERVICE} 1000\n"
                f"sentinel failover-timeout {SERVICE} 5000\n"
            )
            setup.sentinels.append(
                subprocess.Popen(
                    [binary, str(conf), "--sentinel"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
        for port in setup.sentinel_ports:
            _wait(lambda p=port: redis.Redis(port=p, socket_timeout=1).ping(), 10, f"sentinel {port} did not answer")
        _wait(lambda: setup.master_port() == master.port, 10, "the sentinels did not find the master")
        return setup
    except BaseException:
        setup.stop()
        raise


def wait_for_failover(setup: SentinelSetup, old_port: int, timeout: float = 30.0) -> int:
    """The port of the master the Sentinels promoted once `old_port`'s server died."""
    _wait(lambda: setup.master_port() != old_port, timeout, "no failover")
    new = setup.master_port()
    _wait(lambda: redis.Redis(port=new, socket_timeout=1).info("replication")["role"] == "master", timeout, "no master")
    # What a client sees: every Sentinel names the new master and none still flags it down
    # (redis-py's discovery refuses a master a Sentinel reports as s_down or o_down).
    for port in setup.sentinel_ports:
        one = redis.sentinel.Sentinel([("127.0.0.1", port)], socket_timeout=1)
        _wait(lambda s=one: s.discover_master(SERVICE)[1] == new, timeout, f"sentinel {port} did not settle")
    return new
