"""Shared pieces of the benchmarks: a private stack (Redis, SQLite, gunicorn) and load generators."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adserver.catalog import files  # noqa: E402
from adserver.infra import migrate  # noqa: E402
from adserver.infra.redis_server import free_port, start_local  # noqa: E402
from adserver.infra.storage import Database  # noqa: E402


def ensure_database(url: str) -> str:
    """A PostgreSQL URL's database, created if missing (a fresh server has only `postgres`)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "postgresql" and u.database:
        admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            if not c.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database}):
                c.execute(text(f'CREATE DATABASE "{u.database}"'))
        admin.dispose()
    return url


@contextmanager
def stack(database_url: str | None = None):
    """A private Redis and (by default) a fresh SQLite database, migrated."""
    redis = start_local()
    tmp = tempfile.mkdtemp(prefix="adserver-bench-")
    url = database_url or f"sqlite:///{tmp}/bench.sqlite3"
    db = Database(url)
    migrate.upgrade(db)
    try:
        yield {"redis_url": redis.url, "database_url": url, "db": db, "redis": redis}
    finally:
        db.dispose()
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def gunicorn(app_spec: str, port: int, env: dict, workers: int = 2, chdir: Path = ROOT):
    """Our own gunicorn on `port` (0: a free one). A port already taken is an error, not a silent
    benchmark of whatever server answers there."""
    port = port or free_port()
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} is already in use by another process")
    e = dict(os.environ, **env, PORT=str(port), HOST="127.0.0.1", WEB_CONCURRENCY=str(workers), LOG_LEVEL="warning")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "config" / "gunicorn.conf.py"), app_spec],
        env=e,
        cwd=chdir,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/", proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(15)


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # answering, even if 404
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def import_catalog(db: Database, data: dict) -> None:
    files.import_catalog(db, data)


def inprocess_app(tmp: Path, n: int, catalog: dict, redis_url: str, overrides: dict | None = None):
    """An app on its own SQLite catalog (`tmp/n.sqlite3`) and the shared Redis, called as WSGI in-process:
    budgets and rate limits out of the way, no polling, no access log, its snapshot loaded."""
    from adserver import create_app

    url = f"sqlite:///{tmp}/{n}.sqlite3"
    db = Database(url)
    migrate.upgrade(db)
    import_catalog(db, catalog)
    db.dispose()
    app = create_app(
        {
            "database_url": url,
            "redis_url": redis_url,
            "secret_key": "bench-secret-key-123456",
            "environment": "development",
            "impression_rate_limit": 1_000_000_000,
            "catalog_poll_seconds": 0,
            "log_level": "warning",
            "access_log": False,
            "spool_dir": str(tmp / f"spool-{n}"),
            **(overrides or {}),
        }
    )
    app.extensions["adserver"].catalog.refresh(force=True)
    return app


_LAT = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")


def _ms(v: str, unit: str) -> float:
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


# A reader's browser: without a User-Agent a request counts as a bot's (answered, never billed).
READER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def wrk(
    url: str,
    body: dict | list[dict] | None,
    seconds: int = 8,
    connections: int = 16,
    threads: int = 2,
    rate: float | None = None,
) -> dict:
    """Peak throughput and latency with wrk (closed loop). `body` may be a list: wrk sends the bodies
    in that order, round and round (each wrk thread from its own position). With `rate`, each
    connection waits connections/rate between its requests (wrk's `delay` hook), so the load is paced
    at about `rate` per second while latencies are still taken by wrk itself, in C: a Python load
    generator's own scheduling delays on these two cores show up in its p99."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(f'wrk.headers["User-Agent"] = {json.dumps(READER_UA)}\n')  # billable traffic, as readers send
        if rate:
            f.write(f"function delay()\n  return {connections * 1000 / rate:.3f}\nend\n")
        if isinstance(body, list):
            f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
            f.write("bodies = {" + ",".join(json.dumps(json.dumps(b)) for b in body) + "}\n")
            f.write("local i = math.random(#bodies)\n")
            f.write("request = function()\n  i = i % #bodies + 1\n  return wrk.format(nil, nil, nil, bodies[i])\nend\n")
        elif body is not None:
            f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
            f.write(f"wrk.body = {json.dumps(json.dumps(body))}\n")
        script = f.name
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", script, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script)
    lat = {p: _ms(v, u) for p, v, u in _LAT.findall(out)}
    non2xx = _NON2XX.search(out)
    return {
        "rps": float(_RPS.search(out).group(1)),
        "p50_ms": lat.get("50"),
        "p99_ms": lat.get("99"),
        "errors": int(non2xx.group(1)) if non2xx else 0,
    }
