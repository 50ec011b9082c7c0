"""Helpers shared by the event tests: drive decisions and beacons, drain the queue, read counts."""

from __future__ import annotations

from urllib.parse import urlparse

from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from adserver import jobs
from adserver.events import QUEUE
from adserver.storage import DailyRollup, EventRow

AI_ARTICLE = {"placement": "article-footer", "article": {"topic": "artificial-intelligence", "keywords": ["agents"]}}
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"}


def decide(client, headers=BROWSER, ip="203.0.113.7"):
    r = client.post("/v1/decision", json=AI_ARTICLE, headers=headers, environ_base={"REMOTE_ADDR": ip})
    assert r.status_code == 200, r.data
    return r.get_json()


def path(url: str) -> str:
    return urlparse(url).path


def drain(services) -> None:
    """Seal the buffer and run every queued job in this process, as a worker would."""
    services.events.flush()
    jobs.bind(services.db, services.redis)
    SimpleWorker([Queue(QUEUE, connection=services.redis)], connection=services.redis).work(burst=True)


def counts(db) -> dict[tuple[str, bool], int]:
    with db.session() as s:
        rows = s.execute(
            select(EventRow.event_type, EventRow.billable, func.count()).group_by(
                EventRow.event_type, EventRow.billable
            )
        ).all()
    return {(t, bool(b)): n for t, b, n in rows}


def rollup_totals(db) -> dict[str, int]:
    cols = ("impressions", "views", "clicks", "nonbillable_impressions", "nonbillable_views", "nonbillable_clicks")
    with db.session() as s:
        row = s.execute(select(*[func.coalesce(func.sum(getattr(DailyRollup, c)), 0) for c in cols])).one()
    return dict(zip(cols, (int(v) for v in row), strict=True))
