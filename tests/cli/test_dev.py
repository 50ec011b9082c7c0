"""The README's first command, as a new user's machine runs it: nothing answers at REDIS_URL."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from adserver.catalog.files import set_status
from adserver.catalog.store import load_snapshot
from adserver.cli.dev import seed
from adserver.infra.redis_server import free_port
from tests.conftest import EXAMPLE_CATALOG, ROOT

pytestmark = pytest.mark.slow


def test_adserver_dev_starts_its_own_redis_and_serves_the_demo(tmp_path):
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{tmp_path}/dev.sqlite3",
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        SECRET_KEY="dev-test-secret-key-123456",
        SPOOL_DIR=str(tmp_path / "spool"),
    )
    run = subprocess.run(
        [sys.executable, "-m", "adserver", "dev", "--check", "--port", str(free_port()), "--workers", "1"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "redis: started" in run.stdout and "unix://" in run.stdout
    assert "adserver is running: open http://127.0.0.1:" in run.stdout
    assert "check: /demo and /v1/decision answer" in run.stdout


def test_dev_imports_the_example_catalog_into_an_empty_catalog(db):
    assert seed(db, None).startswith("imported catalog.example.yaml: {'created': 46")
    assert len(load_snapshot(db).campaigns) == 16


def test_dev_restart_keeps_a_paused_campaign_paused(db):
    seed(db, None)
    set_status(db, "zahid-ai-side-projects", "paused")
    version = db.catalog_version()
    assert seed(db, None) == "14 advertisers kept as they are (the example is imported only into an empty catalog)"
    assert {c.id: c.status for c in load_snapshot(db).campaigns}["zahid-ai-side-projects"] == "paused"
    assert db.catalog_version() == version


def test_dev_with_an_explicit_catalog_imports_it_every_time(db):
    seed(db, None)
    set_status(db, "zahid-ai-side-projects", "paused")
    assert "'updated': 1" in seed(db, str(EXAMPLE_CATALOG))
    assert {c.id: c.status for c in load_snapshot(db).campaigns}["zahid-ai-side-projects"] == "active"


def test_seed_adds_the_demo_site_on_the_dev_servers_hosts(db):
    from adserver.catalog.store import load_snapshot

    seed(db, None)
    demo = load_snapshot(db).sites["demo"]
    assert demo.serves("127.0.0.1") and demo.serves("localhost") and not demo.serves("news.example")
