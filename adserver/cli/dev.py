"""`adserver dev`: the whole service on one machine (Redis, SQL, web, worker, demo data)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click

from ..catalog import files, sites
from ..infra import migrate, redis_server, storage
from ..settings import ROOT
from . import devenv
from .catalog import advertisers
from .context import Context, pass_ctx

EXAMPLE_CATALOG = ROOT / "config" / "catalog.example.yaml"
DEMO_SITE = ROOT / "config" / "sites.dev.yaml"  # the demo page's site: this server's own hosts


def seed(db: storage.Database, path: str | None) -> str:
    """Import `path`, or the example catalog when the catalog is empty: a restart must not undo what the
    operator changed since (a pause, an edit)."""
    if path is None:
        if count := advertisers(db):
            return f"{count} advertisers kept as they are (the example is imported only into an empty catalog)"
        path = str(EXAMPLE_CATALOG)
        with sites.local_domains(True):
            files.import_catalog(db, files.read_file(DEMO_SITE))
    counts = files.import_catalog(db, files.read_file(path))
    return f"imported {Path(path).name}: {counts}"


def port_taken(host: str, port: int) -> bool:
    """Whether another process listens on host:port (gunicorn binds with SO_REUSEADDR, so this does too)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


# How a child ends when it was asked to stop (Ctrl-C reaches the whole terminal's process group, and gunicorn
# and rq exit 0 on SIGINT and SIGTERM): a requested stop, not a failure.
STOPPED = (0, -signal.SIGINT, -signal.SIGTERM)


def _name(p: subprocess.Popen) -> str:
    return "gunicorn" if "gunicorn" in p.args else "the worker"


def _wait_ready(url: str, procs: list[subprocess.Popen], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise click.ClickException(f"{_name(p)} exited with {p.returncode}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise click.ClickException(f"the web server did not become ready at {url} within {timeout:.0f}s")


@click.command("dev")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn web workers")
@click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(exists=True),
    help="Import this catalog file on every start (default: the example catalog, only into an empty catalog).",
)
@click.option("--check", is_flag=True, help="Start everything, fetch /demo and a decision, then stop (CI).")
@pass_ctx
def command(ctx: Context, host: str, port: int, workers: int, catalog_path: str | None, check: bool) -> None:
    """Migrate, import the example catalog into an empty catalog, start Redis if needed, gunicorn and an rq worker."""
    if port_taken(host, port):  # else another server would answer our readiness check, then gunicorn exit
        raise click.ClickException(
            f"port {port} on {host} is taken (another server listens there): stop it, or pick another port: "
            f"make dev PORT={port + 1}  (or adserver dev --port {port + 1})"
        )
    ctx.overrides["environment"] = "development"  # the explicit development mode: the public default key is fine
    settings = ctx.settings
    redis_url, local = redis_server.ensure(settings.redis_url)
    if local:
        redis_url = local.socket_url  # our own processes, on this host: its Unix socket skips the TCP stack
        click.echo(f"redis: started {local.binary} on {redis_url} (nothing answered at {settings.redis_url})")
    else:
        click.echo(f"redis: using {redis_url}")
    db = ctx.services.db
    migrate.upgrade(db)
    click.echo(f"sql: {db.engine.url.render_as_string(hide_password=True)} migrated; catalog: {seed(db, catalog_path)}")

    if not check:  # a check is over before anyone could type in a second terminal
        devenv.write({"ENVIRONMENT": "development", "DATABASE_URL": settings.database_url, "REDIS_URL": redis_url})
    env = dict(
        os.environ,
        REDIS_URL=redis_url,
        DATABASE_URL=settings.database_url,
        ENVIRONMENT="development",
        HOST=host,
        PORT=str(port),
        WEB_CONCURRENCY=str(workers),
    )
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "config" / "gunicorn.conf.py"),
                "adserver:create_app()",
            ],
            env=env,
            cwd=ROOT,
        ),
        subprocess.Popen([sys.executable, "-m", "adserver", "worker"], env=env, cwd=ROOT),
    ]

    def stop(*_):
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        if local:
            local.stop()
            if not check:  # its socket is gone: the CLI falls back to REDIS_URL (and says so if nothing answers)
                devenv.write({"ENVIRONMENT": "development", "DATABASE_URL": settings.database_url})

    for sig in (signal.SIGTERM, signal.SIGHUP):  # asked to stop, or the terminal closed: stop ours, Redis last
        signal.signal(sig, lambda *_: (stop(), sys.exit(0)))
    base = f"http://{host}:{port}"
    try:
        _wait_ready(base, procs)
        click.secho(
            f"\n  adserver is running: open {base}/demo\n  API docs: {base}/docs   (Ctrl-C stops)\n",
            fg="green",
            bold=True,
        )
        if check:
            with urllib.request.urlopen(base + "/demo", timeout=5) as r:
                assert r.status == 200 and b"data-adserver-slot" in r.read()
            with urllib.request.urlopen(base + "/v1/decision?topic=artificial-intelligence&keywords=agents") as r:
                assert r.status == 200, r.status
            click.echo("check: /demo and /v1/decision answer")
            return
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        failed = [p for p in procs if p.poll() not in (None, *STOPPED)]
        if failed:
            raise click.ClickException(f"{_name(failed[0])} exited with {failed[0].returncode}; stopping")
        click.echo("stopping")  # our children were told to stop (SIGINT or SIGTERM to the process group)
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        stop()
