"""Edges of the event path not covered elsewhere: expired links, pricing, IP hashing."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from adserver.audience.client import ip_hash
from adserver.events import jobs
from adserver.events.event import cost_of
from adserver.events.tracking import Tracker
from adserver.infra import storage

BROWSER = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
}
AI = {"placement": "article-footer", "article": {"topic": "artificial-intelligence", "keywords": ["agents"]}}


def views_stored(services) -> int:
    jobs.use(services)
    jobs.persist_pending(batch="edges")
    with services.db.sessionmaker() as s:
        return s.scalar(select(func.count()).select_from(storage.Event).where(storage.Event.event_type == "view"))


def test_expired_view_link_is_not_counted(app, client, services, example_catalog):
    d = client.post("/v1/decision", json=AI, headers=BROWSER).get_json()
    token = urlsplit(d["tracking"]["view_url"]).path.rsplit("/", 1)[1]
    later = Tracker(services.settings.secret_key, view_ttl=60, click_ttl=60, clock=lambda: time.time() + 61)
    services.tracker, original = later, services.tracker
    try:
        r = client.post(f"/t/view/{token}", headers=BROWSER)
    finally:
        services.tracker = original
    assert r.status_code == 410 and views_stored(services) == 0


@pytest.mark.parametrize(
    "event_type,model,billable,expected",
    [
        ("impression", "cpm", True, 0.002),
        ("click", "cpm", True, 0.0),
        ("click", "cpc", True, 2.0),
        ("impression", "cpc", True, 0.0),
        ("impression", "flat", True, 0.0),
        ("click", "cpc", False, 0.0),
    ],
)
def test_cost_follows_the_pricing_model_and_billability(event_type, model, billable, expected):
    assert cost_of(event_type, model, 2.0, billable) == pytest.approx(expected)


def test_addresses_in_one_slash_24_share_a_hash():
    assert ip_hash("203.0.113.7", "s") == ip_hash("203.0.113.250", "s") != ip_hash("203.0.114.7", "s")


def test_ip_hash_depends_on_the_salt_and_never_shows_the_address():
    h = ip_hash("203.0.113.7", "s1")
    assert h != ip_hash("203.0.113.7", "s2") and "203" not in h


def test_one_persist_job_per_full_batch_not_per_event(services, client, example_catalog):
    """A worker that keeps up empties the list; the web side must not then enqueue a job for every
    event it pushes (each job forks a work horse), only when a full batch waits."""
    from rq import Queue

    services.redis.flushdb()
    services.events.batch_size = 5
    queue = Queue(services.settings.queues[0], connection=services.redis)
    for _ in range(4):
        assert client.post("/v1/decision", json=AI, headers=BROWSER).status_code == 200
    assert services.redis.llen("adserver:events:incoming") == 4
    assert queue.count == 0  # the worker's tick takes a tail this short
    assert client.post("/v1/decision", json=AI, headers=BROWSER).status_code == 200
    assert queue.count == 1  # a full batch of 5
    services.redis.delete("adserver:events:incoming")  # a worker drained it
    for _ in range(3):
        client.post("/v1/decision", json=AI, headers=BROWSER)
    assert queue.count == 1
