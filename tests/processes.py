"""Processes the tests start: their environment, and killing an rq worker as a crash would.

Killing:  rq runs each job in a work horse it forks into a process group
of its own (`os.setpgrp`), so a signal to the worker's group leaves the horse writing its batch."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (from /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                out.append(int(entry))
    return out


def kill_worker_and_horse(pid: int) -> list[int]:
    """SIGKILL the worker `pid` (leader of its own group), its group and every work horse it forked;
    returns the horses' pids. The worker is stopped first so it cannot fork a new horse meanwhile."""
    os.killpg(pid, signal.SIGSTOP)
    horses = children(pid)
    for horse in horses:
        try:
            os.kill(horse, signal.SIGKILL)
        except ProcessLookupError:
            pass
    os.killpg(pid, signal.SIGKILL)
    return horses


def gone(pids: list[int], timeout: float = 10.0) -> bool:
    """Whether all these processes have ended (and been reaped) within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(os.path.exists(f"/proc/{p}") for p in pids):
            return True
        time.sleep(0.05)
    return False


def stop(*procs: subprocess.Popen, grace: float = 60.0) -> None:
    """SIGTERM each process, wait for it (an rq worker first finishes the job in hand, and a loaded machine is
    slow to), and SIGKILL what is still there after `grace` seconds: a teardown, not a test of exit speed."""
    for proc in procs:
        proc.terminate()
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def service_env(settings_overrides: dict, **extra: str) -> dict[str, str]:
    """The environment of a gunicorn or worker process the tests start on the test's own SQL and Redis."""
    return dict(
        os.environ,
        DATABASE_URL=settings_overrides["database_url"],
        REDIS_URL=settings_overrides["redis_url"],
        SECRET_KEY=settings_overrides["secret_key"],
        MODELS_DIR=settings_overrides["models_dir"],
        ENVIRONMENT="test",
        **extra,
    )


def wait_ready(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90  # generous: a loaded CI machine boots gunicorn slowly
    while time.monotonic() < deadline:
        assert proc.poll() is None, "gunicorn exited"
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("web process not ready")
