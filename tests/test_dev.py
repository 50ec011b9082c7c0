"""The README's first command, as a new user's machine runs it: nothing answers at REDIS_URL."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from adserver.redis_server import free_port
from tests.conftest import ROOT

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
