"""Real Redis topologies the tests start from `redis-server`: a master with a replica watched by Sentinels,
and a Redis Cluster of three masters."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
import redis.sentinel
from redis.crc import key_slot

from adserver.infra.redis_server import LocalRedis, free_port, redis_server_binary

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


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
        _stop(self.sentinels)
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


@dataclass
class ClusterSetup:
    """Nodes of a Redis Cluster, each a `redis-server --cluster-enabled yes` of its own: masters, and
    `replicas` replicas of each."""

    ports: list[int]
    dir: Path
    replicas: int = 0
    procs: dict[int, subprocess.Popen] = field(default_factory=dict)

    @property
    def addresses(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def nodes(self) -> list[redis.Redis]:
        """The nodes still running."""
        return [redis.Redis(port=p, socket_timeout=2) for p, proc in self.procs.items() if proc.poll() is None]

    def masters(self) -> list[redis.Redis]:
        return [n for n in self.nodes() if n.info("replication")["role"] == "master"]

    def flush(self) -> None:
        for node in self.masters():
            node.flushall()

    def kill(self, port: int) -> None:
        """The node on `port` dies (SIGKILL): its replica, if it has one, is promoted within seconds."""
        self.procs[port].kill()
        self.procs[port].wait()

    def wait_until_served(self, key: str, timeout: float = 30.0) -> int:
        """The port of the live master that serves `key`'s slot once the cluster says it is whole again."""
        slot = key_slot(key.encode())

        def owner() -> int | None:
            live = self.nodes()
            for node in live:
                if node.cluster("info")["cluster_state"] != "ok":
                    return None
            for start, end, master, *_ in live[0].execute_command("CLUSTER", "SLOTS"):
                if start <= slot <= end:
                    port = int(master[1])
                    return port if self.procs[port].poll() is None else None
            return None

        _wait(lambda: owner() is not None, timeout, "the cluster did not fail over")
        return owner()

    def stop(self) -> None:
        _stop(list(self.procs.values()))
        shutil.rmtree(self.dir, ignore_errors=True)


def cluster_ports(n: int) -> list[int]:
    """`n` distinct free ports whose cluster bus ports (10000 higher, so at most 55535) are free too."""
    ports: list[int] = []
    while len(ports) < n:
        port = free_port()
        if port <= 55535 and port not in ports:
            with socket.socket() as bus:
                try:
                    bus.bind(("127.0.0.1", port + 10000))
                except OSError:
                    continue
            ports.append(port)
    return ports


def start_cluster(masters: int = 3, replicas: int = 0) -> ClusterSetup:
    """A cluster of `masters` local masters (and `replicas` replicas of each), its slots spread by
    `redis-cli --cluster create`, ready (every node says cluster_state:ok) when this returns."""
    binary = redis_server_binary()
    cli = shutil.which("redis-cli") or str(Path(binary).with_name("redis-cli"))
    d = Path(tempfile.mkdtemp(prefix="adserver-cluster-"))
    setup = ClusterSetup(cluster_ports(masters * (1 + replicas)), d, replicas)
    try:
        for port in setup.ports:
            args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(d)]
            args += ["--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf"]
            args += ["--cluster-node-timeout", "2000", "--save", "", "--appendonly", "no", "--loglevel", "warning"]
            args += ["--repl-diskless-sync-delay", "0"]  # a replica's first sync at once, not after 5 s
            setup.procs[port] = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for node in setup.nodes():
            _wait(node.ping, 10, "a cluster node did not answer")
        addresses = [f"127.0.0.1:{p}" for p in setup.ports]
        subprocess.run(
            [cli, "--cluster", "create", *addresses, "--cluster-replicas", str(replicas), "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        for node in setup.nodes():
            _wait(lambda n=node: n.cluster("info")["cluster_state"] == "ok", 30, "the cluster did not come up")
        if replicas:  # a replica that never synced would not take over
            links = lambda: [n.info("replication").get("master_link_status") for n in setup.nodes()]  # noqa: E731
            _wait(lambda: links().count("up") == masters * replicas, 30, "the replicas did not sync")
        return setup
    except BaseException:
        setup.stop()
        raise
