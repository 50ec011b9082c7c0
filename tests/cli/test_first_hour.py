"""A new operator's first hour, as they meet it: `make dev` on a terminal, the CLI in a second one, a port already
taken, Ctrl-C. Each run uses a checkout of its own (ADSERVER_ROOT: config/ and models/ of this one, its own var/),
so the developer's var/dev.env is never touched."""

from __future__ import annotations

import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time

import pytest

from adserver import settings
from adserver.cli import devenv
from adserver.infra.redis_server import free_port
from tests.conftest import BACKEND, ROOT

# `make dev` here runs on SQLite whatever the suite's backend: once is enough (scripts/test runs the suite twice).
make_dev = pytest.mark.skipif(BACKEND != "sqlite", reason="make dev runs on SQLite: tested in the SQLite pass")


@pytest.fixture
def checkout(tmp_path):
    """A development checkout: a .git, this one's config/ and models/, an empty var/."""
    root = tmp_path / "checkout"
    (root / ".git").mkdir(parents=True)
    (root / "config").symlink_to(ROOT / "config")
    (root / "models").symlink_to(ROOT / "models")
    return root


def operator_env(checkout, **extra) -> dict[str, str]:
    """A new operator's shell: no ENVIRONMENT, DATABASE_URL or REDIS_URL of their own."""
    env = {k: v for k, v in os.environ.items() if k not in ("ENVIRONMENT", "DATABASE_URL", "REDIS_URL")}
    return env | {"ADSERVER_ROOT": str(checkout)} | extra


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "adserver", *args], env=env, capture_output=True, text=True, timeout=60
    )


class Terminal:
    """`make dev` on a pseudo-terminal: what a person sees, and their Ctrl-C."""

    def __init__(self, env: dict, port: int, ignore_sigint: bool = False):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the terminal's foreground process group
            if ignore_sigint:  # as a program that starts make in the background leaves it
                signal.signal(signal.SIGINT, signal.SIG_IGN)
            os.chdir(ROOT)
            os.execvpe("make", ["make", "dev", f"PORT={port}"], env)
        self.screen = ""

    def read_until(self, text: str | None, timeout: float = 180) -> str:
        """Read until `text` is on the screen (None: until the terminal closes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (text is None or text not in self.screen):
            ready, _, _ = select.select([self.fd], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # closed: every process on it has exited
                    chunk = b""
                if not chunk:
                    if text is None:
                        return self.screen
                    raise AssertionError(f"the terminal closed before {text!r}:\n{self.screen[-3000:]}")
                self.screen += chunk.decode(errors="replace")
        if text is None:
            raise AssertionError(f"the terminal is still open after {timeout:.0f} s:\n{self.screen[-3000:]}")
        if text not in self.screen:
            raise AssertionError(f"no {text!r} within {timeout:.0f} s:\n{self.screen[-3000:]}")
        return self.screen

    def ctrl_c(self) -> int:
        """Type Ctrl-C; the exit code of make (negative: the signal that ended it)."""
        mark = len(self.screen)
        os.write(self.fd, b"\x03")
        self.read_until(None, timeout=90)
        _, status = os.waitpid(self.pid, 0)
        self.after_ctrl_c = self.screen[mark:]
        return os.waitstatus_to_exitcode(status)

    def close(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


@pytest.fixture
def terminal(checkout, tmp_path):
    started = []

    def start(ignore_sigint: bool = False) -> Terminal:
        env = operator_env(
            checkout,
            DATABASE_URL=f"sqlite:///{tmp_path}/dev.sqlite3",
            REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",  # nothing there: make dev starts its own
        )
        env.pop("WEB_CONCURRENCY", None)
        t = Terminal(env, free_port(), ignore_sigint)
        started.append(t)
        return t

    yield start
    for t in started:
        t.close()


@pytest.mark.slow
@make_dev
def test_the_cli_beside_make_dev_uses_its_settings_and_ctrl_c_stops_it_quietly(terminal, checkout):
    t = terminal()
    t.read_until("adserver is running: open http://127.0.0.1:")

    dev_env = checkout / "var" / "dev.env"  # what make dev wrote for the CLI (gitignored, like all of var/)
    assert "ENVIRONMENT=development" in dev_env.read_text() and "REDIS_URL='unix://" in dev_env.read_text()
    second = operator_env(checkout)  # another terminal in the same checkout, nothing exported
    listed = cli(second, "advertisers", "list")
    assert listed.returncode == 0, listed.stderr
    assert "zahid-host" in listed.stdout
    made = cli(second, "tokens", "create", "zahid-host")
    assert made.returncode == 0 and "ads_" in made.stdout, made.stderr
    # Production never reads the file: an explicit ENVIRONMENT (the image sets one) keeps it out.
    production = cli(second | {"ENVIRONMENT": "production"}, "advertisers", "list")
    assert production.returncode == 2 and "SECRET_KEY" in production.stderr

    code = t.ctrl_c()
    assert code in (0, -signal.SIGINT)  # make itself dies of the Ctrl-C; adserver dev exits 0
    assert "stopping" in t.after_ctrl_c
    for noise in ("Error", "Traceback", "exited with", "unreachable"):
        assert noise not in t.after_ctrl_c
    # Its private Redis is gone with it: the CLI is no longer pointed there.
    assert "ENVIRONMENT=development" in dev_env.read_text() and "REDIS_URL" not in dev_env.read_text()


@pytest.mark.slow
@make_dev
def test_a_stop_that_reaches_only_the_children_is_a_requested_stop(terminal):
    """Started with Ctrl-C ignored (as a launcher may leave make), only gunicorn and the worker act on it:
    adserver dev sees them stop as asked and exits 0, so make reports no error."""
    t = terminal(ignore_sigint=True)
    t.read_until("adserver is running: open http://127.0.0.1:")
    assert t.ctrl_c() == 0
    assert "stopping" in t.after_ctrl_c and "Error" not in t.after_ctrl_c


def test_a_taken_port_is_named_with_how_to_pick_another(checkout, tmp_path):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        env = operator_env(checkout, DATABASE_URL=f"sqlite:///{tmp_path}/dev.sqlite3")
        run = cli(env, "dev", "--port", str(port))
    assert run.returncode == 1
    assert f"port {port} on 127.0.0.1 is taken" in run.stderr
    assert f"make dev PORT={port + 1}" in run.stderr
    assert "adserver is running" not in run.stdout and "redis:" not in run.stdout  # it stopped before starting any


def test_make_dev_passes_port_through():
    # --no-print-directory: under `make test` (a make inside make) the nested one would name its directory last
    make = ["make", "--no-print-directory", "-n", "dev", "PORT=8123"]
    run = subprocess.run(make, cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1].endswith("adserver dev --port 8123")


def test_dev_env_is_read_only_in_a_checkout_without_environment_and_never_by_a_worker(checkout, monkeypatch):
    monkeypatch.setattr(settings, "ROOT", checkout)
    (checkout / "var").mkdir()
    devenv.path().write_text("ENVIRONMENT=development\nDATABASE_URL='sqlite:///var/x.sqlite3'\nSECRET_KEY=nope\n")
    assert devenv.apply("advertisers", {}) == {"ENVIRONMENT": "development", "DATABASE_URL": "sqlite:///var/x.sqlite3"}
    environ = {"DATABASE_URL": "postgresql+psycopg://db/own"}
    assert devenv.apply("tokens", environ) == {"ENVIRONMENT": "development"}  # what is set stays
    assert environ["DATABASE_URL"] == "postgresql+psycopg://db/own"
    assert devenv.apply("advertisers", {"ENVIRONMENT": "production"}) == {}
    assert devenv.apply("worker", {}) == {}
    (checkout / ".git").rmdir()  # an installed package, the image: no checkout
    assert devenv.apply("advertisers", {}) == {}
