"""Budgets and pacing on real Redis."""

from __future__ import annotations

import random
import threading
from dataclasses import replace
from datetime import UTC, datetime

import redis as redis_lib

from adserver.catalog import CatalogSnapshot
from adserver.decision import decide
from adserver.pacing import RedisBudget
from tests.builders import TODAY, campaign
from tests.builders import article as ctx


def cpm(cid="c", total=None, daily=None, pacing="asap", price=10.0, **kw):
    return replace(
        campaign(cid, targeting={"topics": ["sport"]}, **kw),
        pricing_model="cpm",
        price=price,
        total_budget=total,
        daily_budget=daily,
        pacing=pacing,
    )


def test_cpm_budget_holds_under_concurrent_decisions(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    c = cpm(total=1.0, price=10.0)  # 0.01 per impression: exactly 100 impressions
    gate = RedisBudget(conn)
    won = []

    def hammer():
        local = RedisBudget(redis_lib.Redis.from_url(redis_url))
        for _ in range(60):
            if local.charge(c):
                won.append(1)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total, _ = gate.spend([c])[c.id]
    assert len(won) == 100
    assert total == 1_000_000  # never over budget
    assert gate.exhausted([c]) == {"c": "total budget spent"}


def test_campaign_at_its_budget_stops_winning(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    spent_out = cpm("spent", total=0.02, price=10.0, priority=1)
    other = cpm("other", priority=0)
    snap = CatalogSnapshot.build(1, (spent_out, other))
    gate = RedisBudget(conn)
    winners = [decide(ctx(topic="sport"), snap, budget=gate, today=TODAY).decision.campaign.id for _ in range(5)]
    assert winners == ["spent", "spent", "other", "other", "other"]


def test_daily_budget_is_separate_from_total(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    c = cpm(total=100.0, daily=0.01, price=10.0)
    gate = RedisBudget(conn)
    assert gate.charge(c) is True
    assert gate.charge(c) is False
    assert gate.exhausted([c]) == {"c": "daily budget spent"}


def at(hour: int):
    return lambda: datetime(2026, 11, 25, hour, 0, tzinfo=UTC)


def test_even_pacing_throttles_a_campaign_ahead_of_the_clock(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    c = cpm(daily=10.0, pacing="even")
    conn.set("adserver:spend:day:2026-11-25:c", 5 * 1_000_000)  # half the day's budget spent
    early = RedisBudget(conn, now=at(3), rng=random.Random(0))  # 12.5% of the day gone
    late = RedisBudget(conn, now=at(18), rng=random.Random(0))  # 75% gone
    assert early.exhausted([c]) == {"c": "pacing: 38% ahead of the day"}
    assert late.exhausted([c]) == {}


def test_asap_pacing_does_not_throttle(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    c = cpm(daily=10.0, pacing="asap")
    conn.set("adserver:spend:day:2026-11-25:c", 5 * 1_000_000)
    assert RedisBudget(conn, now=at(3)).exhausted([c]) == {}


def test_cpc_click_books_its_price(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    c = replace(cpm(total=1.0), pricing_model="cpc", price=0.45)
    gate = RedisBudget(conn)
    gate.book_click(c)
    gate.book_click(c)
    assert gate.spend([c])["c"][0] == 900_000
    gate.book_click(c)
    assert gate.exhausted([c]) == {"c": "total budget spent"}


def test_redis_down_fails_open():
    dead = redis_lib.Redis(port=1, socket_connect_timeout=0.1)
    gate = RedisBudget(dead)
    c = cpm(total=1.0)
    assert gate.exhausted([c]) == {}
    assert gate.charge(c) is True
