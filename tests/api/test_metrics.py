"""`/metrics`: what Prometheus scrapes, who may scrape it, and gunicorn's workers added up."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection

import pytest
from prometheus_client.parser import text_string_to_metric_families

from adserver import create_app
from adserver.infra import keys
from adserver.infra.redis_server import free_port
from tests.builders import AI, BROWSER
from tests.processes import service_env, stop

TOKEN = "metrics-token-0123456789abcdef"
STRONG_KEY = "k3Jx9Qw2Lz8Rt5Vb7Nm4Pd6Hs1Gf0Ya2Xc"


def value(text: str, name: str, **labels) -> float:
    """One sample's value in a Prometheus text exposition (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def scrape(client, **headers) -> str:
    r = client.get("/metrics", headers=headers)
    assert r.status_code == 200, r.data
    assert r.mimetype == "text/plain"
    return r.get_data(as_text=True)


def test_metrics_count_served_decisions_their_latency_and_impressions(client, example_catalog):
    before = scrape(client)
    for _ in range(3):
        assert client.post("/v1/decision", json=AI, headers=BROWSER).status_code == 200
    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("adserver_decisions_total", outcome="served") == 3
    assert delta("adserver_decision_seconds_count") == 3
    assert delta("adserver_served_score_count") == 3
    assert delta("adserver_served_match_count", how="publisher topic") == 3  # AI's topic is zahid's
    assert delta("adserver_served_match_sum", how="publisher topic") == 3.0
    assert delta("adserver_events_total", type="impression", result="emitted") == 3
    assert value(after, "adserver_events_waiting") == 3
    assert value(after, "adserver_redis_up") == 1
    assert value(after, "adserver_catalog_version") >= 1
    assert value(after, "adserver_model_info", ranker="overlap") == 1


def test_a_decision_with_no_campaign_counts_as_no_fill(client):
    before = value(scrape(client), "adserver_decisions_total", outcome="no_fill")
    body = {"placement": "article-footer", "article": {"topic": "no-such-topic-anywhere", "keywords": []}}
    assert client.post("/v1/decision", json=body, headers=BROWSER).status_code == 204
    assert value(scrape(client), "adserver_decisions_total", outcome="no_fill") == before + 1


def test_campaigns_out_of_budget_are_counted_as_budget_refusals(client, services, example_catalog):
    for c in services.catalog.get().campaigns:  # every campaign has spent far past any budget
        services.redis.set(keys.spend(c.id, "")[0], 10**15)
    before = value(scrape(client), "adserver_budget_refusals_total", reason="budget")
    assert client.post("/v1/decision", json=AI, headers=BROWSER).status_code in (200, 204)
    assert value(scrape(client), "adserver_budget_refusals_total", reason="budget") > before


def test_events_written_to_sql_are_counted_by_type(client, example_catalog, persist):  # noqa: F811
    d = client.post("/v1/decision", json=AI, headers=BROWSER).get_json()
    assert client.post("/" + d["tracking"]["view_url"].split("/", 3)[3], headers=BROWSER).status_code == 204
    persist()
    text = scrape(client)
    assert value(text, "adserver_events_persisted_total", type="impression") == 1
    assert value(text, "adserver_events_persisted_total", type="view") == 1
    assert value(text, "adserver_events_waiting") == 0
    assert value(text, "adserver_events_lag_seconds") == 0


def test_metrics_need_the_bearer_token_when_one_is_set(settings_overrides):
    app = create_app(dict(settings_overrides, metrics_token=TOKEN))
    try:
        client = app.test_client()
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 401
        assert "adserver_decisions" in scrape(client, Authorization=f"Bearer {TOKEN}")
    finally:
        app.extensions["adserver"].close()


def test_metrics_are_off_in_production_without_a_token(settings_overrides):
    production = dict(
        settings_overrides, environment="production", secret_key=STRONG_KEY, public_url="https://ads.example.com"
    )
    app = create_app(production)
    try:
        assert app.test_client().get("/metrics").status_code == 404
    finally:
        app.extensions["adserver"].close()


def _get(port: int, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    conn = HTTPConnection("127.0.0.1", port, timeout=10)  # a new connection each time: any worker may answer
    conn.request(
        "POST" if body else "GET", path, body, dict(BROWSER, **({"Content-Type": "application/json"} if body else {}))
    )
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


@pytest.mark.slow
def test_two_gunicorn_workers_add_up_in_one_scrape(settings_overrides, example_catalog, tmp_path):
    from tests.processes import wait_ready

    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"left by an earlier run")  # emptied at start
    port = free_port()
    env = service_env(
        settings_overrides,
        WEB_CONCURRENCY="2",
        WEB_THREADS="1",  # sync workers: each takes one connection at a time, so both serve
        HOST="127.0.0.1",
        PORT=str(port),
        IMPRESSION_RATE_LIMIT="100000",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    log = (tmp_path / "web.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "adserver:create_app()"],
        env=env,
        stderr=log,
    )
    try:
        wait_ready(port, proc)
        assert not (metrics_dir / "counter_1.db").exists()
        sent = 0
        writers: set[str] = set()
        with ThreadPoolExecutor(8) as pool:  # concurrent requests, so that both workers take some
            while len(writers) < 2 and sent < 800:
                statuses = list(pool.map(lambda _: _get(port, "/v1/decision", json.dumps(AI).encode())[0], range(16)))
                assert statuses == [200] * 16
                sent += 16
                writers = {f.stem.rsplit("_", 1)[1] for f in metrics_dir.glob("counter_*.db")}
        assert len(writers) == 2, (tmp_path / "web.log").read_text()[-2000:]  # both workers served
        for _ in range(4):  # whichever worker answers the scrape, it reports both
            status, data = _get(port, "/metrics")
            assert status == 200
            assert value(data.decode(), "adserver_decisions_total", outcome="served") == sent
    finally:
        stop(proc)
