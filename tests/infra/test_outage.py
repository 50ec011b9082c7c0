"""While Redis is away: one warning per interval with a count, not one line per event."""

from __future__ import annotations

import logging

import redis as redis_lib

from adserver.events.pacing import RedisBudget
from adserver.events.spool import Spool
from adserver.infra.outage import OutageLog

AI = {"placement": "article-footer", "article": {"topic": "artificial-intelligence", "keywords": ["agents"]}}


def test_a_repeating_failure_is_logged_once_per_interval_with_how_many_were_not(caplog):
    now = [0.0]
    out = OutageLog(logging.getLogger("t"), interval=10, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="t"):
        for i in range(100):
            now[0] = i * 0.1  # 100 failures over 10 s
            out.warning("redis", "redis unavailable")
        now[0] = 10.5
        out.warning("redis", "redis unavailable")
    assert [r.getMessage() for r in caplog.records] == [
        "redis unavailable",
        "redis unavailable (and 99 more since the last warning)",
    ]


def test_decisions_during_a_redis_outage_log_a_few_lines_not_one_per_decision(
    services, client, example_catalog, tmp_path, caplog
):
    dead = redis_lib.Redis(port=1, socket_connect_timeout=0.05, socket_timeout=0.05)
    services.events.spool = Spool(tmp_path)
    services.budget = RedisBudget(dead, sink=services.events)
    services.events.redis = dead
    services.events._script = dead.register_script("return 1")
    with caplog.at_level(logging.WARNING):
        for _ in range(50):
            assert client.post("/v1/decision", json=AI).status_code == 200
            assert client.get("/v1/decision", query_string={"topic": "ai"}).status_code in (200, 204)
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) <= 4
