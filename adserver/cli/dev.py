"""`adserver dev`: the whole service on one machine (Redis, SQL, web, worker, demo data)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click

from ..catalog import files
from ..infra import migrate, redis_server, storage
from ..settings import ROOT
from .catalog import advertisers
from .context import Context, pass_ctx

EXAMPLE_CATALOG = ROOT / "config" / "catalog.example.yaml"


def seed(db: storage.Database, path: str | None) -> str:
    """Import `path`, or the example catalog when the catalog is empty: a restart must not undo what the
    operator changed since (a pause, an edit)."""
    if path is None:
        if count := advertisers(db):
            return f"{count} advertisers kept as they are (the example is imported only into an empty catalog)"
        path = str(EXAMPLE_CATALOG)
    counts = files.import_catalog(db, files.read_file(path))
    return f"imported {Path(path).name}: {counts}"


def _wait_ready(url: str, procs: list[subprocess.Popen], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise click.ClickException(f"{p.args[2] if len(p.args) > 2 else p.args} exited with {p.returncode}")
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

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
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
        raise click.ClickException("a child process exited; stopping")
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        stop()
