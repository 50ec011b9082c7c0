"""Liveness and readiness probes, on a real Redis that we stop."""

from __future__ import annotations

import pytest

from adserver import create_app
from adserver.redis_server import start_local


def test_healthz_answers_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json()["status"] == "ok"


def test_readyz_answers_ok_when_redis_and_sql_answer(client):
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.get_json()["checks"]["redis"] == "ok"


@pytest.fixture
def app_on_own_redis(settings_overrides):
    server = start_local()
    app = create_app({**settings_overrides, "redis_url": server.url})
    yield app, server
    app.extensions["adserver"].close()
    server.stop()


def test_readyz_answers_503_when_redis_is_down(app_on_own_redis):
    app, server = app_on_own_redis
    server.stop()
    r = app.test_client().get("/readyz")
    assert r.status_code == 503
    body = r.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"].startswith("error")


def test_healthz_stays_ok_when_redis_is_down(app_on_own_redis):
    app, server = app_on_own_redis
    server.stop()
    assert app.test_client().get("/healthz").status_code == 200
