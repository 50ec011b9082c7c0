"""`adserver dev`: everything a new user needs, in one command.

Migrates, imports the example catalog, finds or starts Redis, runs gunicorn (web) and an rq worker as
child processes, waits for /readyz and prints the demo URL; Ctrl-C or SIGTERM stops the children.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import click

from .. import migrate, redis_server
from ..catalog_file import import_catalog, read_file
from ..settings import ROOT, load_settings
from ..storage import Database

EXAMPLE_CATALOG = ROOT / "config" / "catalog.example.yaml"
GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"


def wait_ready(url: str, procs: list[subprocess.Popen], timeout: float = 30.0) -> bool:
    """Poll `url` until it answers 200, giving up early if a child died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            return False
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    return False


def stop(procs: list[subprocess.Popen], timeout: float = 10.0) -> None:
    """SIGTERM every child, then SIGKILL whatever is still up after `timeout`."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@click.command("dev")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the web server binds.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port the web server binds.")
@click.option("--catalog", "catalog_path", default=str(EXAMPLE_CATALOG), show_default=True, type=click.Path())
@click.pass_context
def command(ctx: click.Context, host: str, port: int, catalog_path: str) -> None:
    """Migrate, import the example catalog, start Redis, web and worker; print the demo URL."""
    settings = load_settings(ctx.obj.overrides)
    if settings.is_sqlite:
        db_path = settings.database_url.removeprefix("sqlite:///")
        if db_path and db_path != ":memory:":
            # Absolute, so the children (which run from the project root) open the same file.
            absolute = Path(db_path).resolve()
            absolute.parent.mkdir(parents=True, exist_ok=True)
            settings = dataclasses.replace(settings, database_url=f"sqlite:///{absolute}")
    db = Database(settings.database_url)
    migrate.upgrade(db)
    counts = import_catalog(db, read_file(catalog_path))
    db.dispose()
    click.echo(f"database ready ({settings.database_url}); catalog imported: {counts}")

    redis_url, local = redis_server.ensure(settings.redis_url)
    click.echo(f"redis at {redis_url}" + (" (started for this session)" if local else ""))

    env = dict(os.environ, DATABASE_URL=settings.database_url, REDIS_URL=redis_url, HOST=host, PORT=str(port))
    env.setdefault("WEB_CONCURRENCY", "2")
    bindir = Path(sys.executable).parent
    gunicorn = [str(bindir / "gunicorn"), "-c", str(GUNICORN_CONF), "adserver:create_app()"]
    worker = [sys.executable, "-m", "adserver.cli", "worker"]
    procs = [subprocess.Popen(gunicorn, env=env, cwd=ROOT), subprocess.Popen(worker, env=env, cwd=ROOT)]

    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        shown = "localhost" if host in ("0.0.0.0", "127.0.0.1") else host
        base = f"http://{shown}:{port}"
        if not wait_ready(f"http://127.0.0.1:{port}/readyz" if host == "0.0.0.0" else f"{base}/readyz", procs):
            if not stopping:
                raise click.ClickException("the web server or worker did not become ready; see the log above")
        else:
            click.echo(f"\n  demo:     {base}/demo\n  API docs: {base}/docs\n\nCtrl-C stops everything.\n")
        while not stopping:
            dead = [p for p in procs if p.poll() is not None]
            if dead:
                raise click.ClickException(f"a child process exited with {dead[0].returncode}; stopping")
            time.sleep(0.3)
    finally:
        stop(procs)
        if local:
            local.stop()
        click.echo("stopped")
