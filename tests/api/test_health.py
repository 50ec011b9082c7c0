"""Probes and pages."""

from __future__ import annotations

from adserver import create_app
from adserver.infra.redis_server import start_local


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_when_redis_and_sql_answer(client, example_catalog):
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.get_json()["checks"]["redis"] == "ok" and r.get_json()["checks"]["sql"] == "ok"


def test_readyz_is_503_when_redis_is_down_and_decisions_still_work(settings_overrides, load_catalog):
    redis = start_local()
    app = create_app({**settings_overrides, "redis_url": redis.url})
    client = app.test_client()
    redis.stop()
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.get_json()["checks"]["redis"].startswith("error")
    r = client.get("/v1/decision?topic=sport")
    assert r.status_code in (200, 204)
    app.extensions["adserver"].close()


def test_demo_page_uses_the_snippet_like_a_publisher(client):
    html = client.get("/demo").data.decode()
    assert "data-adserver-slot" in html and 'src="/embed.js"' in html
    assert "Japan’s manufacturing sector and the race for physical AI" in html


def test_embed_js_is_served_cacheable(client):
    r = client.get("/embed.js")
    assert r.status_code == 200 and "javascript" in r.mimetype
    assert "max-age" in r.headers["Cache-Control"]


def test_docs_page_and_openapi(client):
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").get_json()["info"]["title"] == "adserver"


def test_a_local_redis_serves_decisions_over_its_unix_socket(settings_overrides, load_catalog):
    """`adserver dev` and the benchmark reach the Redis they start through its socket, not TCP."""
    redis = start_local()
    try:
        assert redis.socket_url.startswith("unix://")
        app = create_app({**settings_overrides, "redis_url": redis.socket_url})
        client = app.test_client()
        assert client.get("/readyz").get_json()["checks"]["redis"] == "ok"
        r = client.post("/v1/decision", json={"placement": "article-footer", "article": {"topic": "sport"}})
        assert r.status_code in (200, 204)
        assert app.extensions["adserver"].redis.connection_pool.connection_kwargs["path"].endswith("redis.sock")
        app.extensions["adserver"].close()
    finally:
        redis.stop()
