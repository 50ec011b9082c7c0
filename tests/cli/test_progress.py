"""Progress bars of long CLI work: drawn on stderr when it is a terminal, never in piped or captured output."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios

from adserver.cli.progress import Bar
from tests.conftest import EXAMPLE_CATALOG, ROOT


def run_on_a_terminal(args: list[str], env: dict) -> tuple[str, str]:
    """Run `adserver ARGS` with stderr on a pseudo-terminal and stdout on a pipe: (stdout, what the terminal got)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal has a size
    proc = subprocess.Popen(
        [sys.executable, "-m", "adserver", *args], stdout=subprocess.PIPE, stderr=follower, env=env, cwd=ROOT
    )
    os.close(follower)
    screen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    stdout = proc.stdout.read().decode()
    proc.wait(60)
    os.close(leader)
    return stdout, screen.decode(errors="replace")


def test_a_catalog_import_draws_its_progress_on_a_terminal_and_keeps_stdout_clean(app, settings_overrides):
    env = os.environ | {
        "DATABASE_URL": settings_overrides["database_url"],
        "REDIS_URL": settings_overrides["redis_url"],
        "SECRET_KEY": settings_overrides["secret_key"],
        "ENVIRONMENT": "test",
        "MODELS_DIR": settings_overrides["models_dir"],
    }
    stdout, terminal = run_on_a_terminal(["catalog", "import", str(EXAMPLE_CATALOG)], env)
    assert stdout.startswith("imported catalog.example.yaml: ") and stdout.count("\n") == 1
    assert "importing campaigns" in terminal and "/16" in terminal  # the example's 16 campaigns


def test_captured_output_has_no_progress_bar(cli):
    r = cli("catalog", "import", str(EXAMPLE_CATALOG))
    assert r.exit_code == 0
    assert r.output.startswith("imported catalog.example.yaml") and r.output.count("\n") == 1
    assert "importing" not in r.output and "\r" not in r.output


def test_a_bar_draws_only_where_it_is_enabled():
    shown, hidden = io.StringIO(), io.StringIO()
    for bar in (Bar(shown, enabled=True), Bar(hidden)):  # a StringIO is no terminal
        bar.start(3, "training")
        bar.advance(0, "fitting")  # a new stage: shown at once
        bar.close()
    assert "training" in shown.getvalue() and "fitting" in shown.getvalue()
    assert hidden.getvalue() == ""
