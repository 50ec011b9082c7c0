"""Log lines: JSON with the request id in production, an access line per request, the id echoed."""

from __future__ import annotations

import json
import logging

import pytest

from adserver import create_app
from adserver.infra import logs
from adserver.settings import load_settings


class _Captured:
    def __init__(self, capsys):
        self.capsys = capsys

    def getvalue(self) -> str:
        return self.capsys.readouterr().err


@pytest.fixture
def stderr(capsys):
    """What the log handler writes (it is made on stderr at app creation, here pytest's capture)."""
    yield _Captured(capsys)
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not getattr(h, "_adserver", False)]


def json_app(settings_overrides):
    return create_app(dict(settings_overrides, log_format="json"))


def lines(out: _Captured) -> list[dict]:
    return [json.loads(x) for x in out.getvalue().splitlines() if x.startswith("{")]


def test_an_access_line_is_json_with_the_request_id_echoed_in_the_response(settings_overrides, stderr):
    app = json_app(settings_overrides)
    try:
        r = app.test_client().get("/healthz")
    finally:
        app.extensions["adserver"].close()
    rid = r.headers["X-Request-Id"]
    assert len(rid) == 32
    access = [x for x in lines(stderr) if x["logger"] == "adserver.access"]
    assert access[-1]["request_id"] == rid
    assert access[-1]["status"] == 200 and access[-1]["path"] == "/healthz" and access[-1]["method"] == "GET"
    assert access[-1]["level"] == "INFO" and "duration_ms" in access[-1]
    assert access[-1]["time"].endswith("+00:00")


def test_an_incoming_request_id_is_kept_and_a_malformed_one_replaced(settings_overrides, stderr):
    app = json_app(settings_overrides)
    try:
        client = app.test_client()
        kept = client.get("/healthz", headers={"X-Request-Id": "lb-4f2a.9"}).headers["X-Request-Id"]
        replaced = client.get("/healthz", headers={"X-Request-Id": 'x" {"forged": 1}'}).headers["X-Request-Id"]
    finally:
        app.extensions["adserver"].close()
    assert kept == "lb-4f2a.9"
    assert replaced != 'x" {"forged": 1}' and len(replaced) == 32


def test_lines_logged_while_handling_a_request_carry_its_id(settings_overrides, stderr):
    app = json_app(settings_overrides)

    @app.get("/test-logs")
    def noisy():
        logging.getLogger("adserver.test").warning("something worth a look")
        return "ok"

    try:
        app.test_client().get("/test-logs", headers={"X-Request-Id": "req-1"})
    finally:
        app.extensions["adserver"].close()
    (line,) = [x for x in lines(stderr) if x["logger"] == "adserver.test"]
    assert line == line | {"message": "something worth a look", "level": "WARNING", "request_id": "req-1"}


def test_logs_are_json_in_production_and_text_in_development():
    base = {"database_url": "sqlite://", "redis_url": "redis://127.0.0.1:6379/0", "public_url": "https://a.example"}
    production = load_settings(dict(base, secret_key="k3Jx9Qw2Lz8Rt5Vb7Nm4Pd6Hs1Gf0Ya2Xc"), env={})
    development = load_settings(dict(base, secret_key="dev-only-change-me", environment="development"), env={})
    assert (production.log_format, production.access_log) == ("json", True)
    assert development.log_format == "text"


def test_text_lines_are_human_readable(settings_overrides, stderr):
    app = create_app(dict(settings_overrides, log_format="text"))
    try:
        rid = app.test_client().get("/healthz").headers["X-Request-Id"]
    finally:
        app.extensions["adserver"].close()
    (line,) = [x for x in stderr.getvalue().splitlines() if "adserver.access" in x]
    assert line.endswith(f"INFO adserver.access: GET /healthz 200 [{rid}]")
    assert logs.REQUEST_ID_HEADER == "X-Request-Id"


@pytest.mark.slow
def test_gunicorn_in_production_writes_only_json_lines(settings_overrides, tmp_path):
    import os
    import subprocess
    import sys
    import urllib.request

    from adserver.infra.redis_server import free_port
    from tests.processes import stop, wait_ready

    port = free_port()
    env = dict(
        os.environ,
        ENVIRONMENT="production",
        SECRET_KEY="k3Jx9Qw2Lz8Rt5Vb7Nm4Pd6Hs1Gf0Ya2Xc",
        PUBLIC_URL="https://ads.example.com",
        DATABASE_URL=settings_overrides["database_url"],
        REDIS_URL=settings_overrides["redis_url"],
        MODELS_DIR=settings_overrides["models_dir"],
        WEB_CONCURRENCY="1",
        HOST="127.0.0.1",
        PORT=str(port),
    )
    err = tmp_path / "web.err"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "adserver:create_app()"],
        env=env,
        stderr=err.open("w"),
    )
    try:
        wait_ready(port, proc)
        req = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"X-Request-Id": "lb-77"})
        assert urllib.request.urlopen(req, timeout=5).headers["X-Request-Id"] == "lb-77"
    finally:
        stop(proc)
    records = [json.loads(line) for line in err.read_text().splitlines()]  # every line is JSON
    assert {"gunicorn.error", "adserver.access"} <= {r["logger"] for r in records}
    assert any(r["logger"] == "adserver.access" and r["request_id"] == "lb-77" for r in records)
