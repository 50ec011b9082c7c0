"""Budgets and pacing on real Redis."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import redis as redis_lib

from adserver.audience.client import Requester
from adserver.events.event import Event, from_decision
from adserver.events.pacing import DryRun, RedisBudget
from adserver.events.sink import DUPLICATE, EMITTED, EventSink
from adserver.events.spool import Spool
from adserver.infra import keys
from adserver.serving.budget import Choice
from adserver.serving.decision import decide
from adserver.serving.snapshot import CatalogSnapshot
from tests.builders import TODAY, campaign, catalog_file
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
            if local.choose([c]).winner == 0:
                won.append(1)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total, _ = gate.spend([c])[c.id]
    assert len(won) == 100
    assert total == 1_000_000  # never over budget
    assert gate.verdicts([c]) == {"c": "total budget spent"}


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
    assert gate.choose([c]).winner == 0
    assert gate.choose([c]) == Choice(None, {"c": "daily budget spent"}, False)
    assert gate.verdicts([c]) == {"c": "daily budget spent"}


def at(hour: int):
    return lambda: datetime(2026, 11, 25, hour, 0, tzinfo=UTC)


def test_even_pacing_throttles_a_campaign_ahead_of_the_clock(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    c = cpm(daily=10.0, pacing="even")
    conn.set("adserver:spend:day:2026-11-25:c", 5 * 1_000_000)  # half the day's budget spent
    early = RedisBudget(conn, now=at(3), rng=random.Random(0))  # 12.5% of the day gone
    late = RedisBudget(conn, now=at(18), rng=random.Random(0))  # 75% gone
    assert early.choose([c]).refused == {"c": "pacing: ahead of the day"}  # 38% ahead: always skipped
    assert late.choose([c]).winner == 0


def test_asap_pacing_does_not_throttle(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    c = cpm(daily=10.0, pacing="asap")
    conn.set("adserver:spend:day:2026-11-25:c", 5 * 1_000_000)
    assert RedisBudget(conn, now=at(3)).choose([c]).winner == 0


def cpc_click(n: int, price: float = 0.45) -> Event:
    return Event(f"d{n}", "click", "c", "c-card", "adv", "article-footer", billable=True, cost=price)


def test_cpc_clicks_are_billed_only_within_the_budget(redis_url, tmp_path):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    c = replace(cpm(total=1.0), pricing_model="cpc", price=0.45)
    sink = EventSink(conn, Spool(tmp_path), "q")
    assert [sink.emit(cpc_click(i), campaign=c) for i in range(3)] == [EMITTED] * 3
    assert sink.emit(cpc_click(0), campaign=c) == DUPLICATE  # a replayed click books nothing
    gate = RedisBudget(conn)
    assert gate.spend([c])["c"][0] == 900_000  # the third click would pass 1.00: kept, but not billed
    queued = [Event.from_json(x) for x in conn.lrange(keys.INCOMING, 0, -1)]
    assert [(e.billable, e.reason, e.cost) for e in queued] == [
        (True, "", 0.45),
        (True, "", 0.45),
        (False, "over_budget", 0.0),
    ]
    # 0.10 left is less than one click: the campaign stops winning, although the budget is not all spent.
    assert gate.verdicts([c]) == {"c": "total budget spent"}
    assert decide(ctx(topic="sport"), CatalogSnapshot.build(1, (c,)), budget=gate, today=TODAY).decision is None


def test_replayed_spool_books_what_redis_missed_within_the_budget(redis_url, tmp_path):
    """Served while Redis was away: on replay, CPM impressions and CPC clicks are booked like live
    traffic; past the budget they stay, not billed; a spool replayed twice books nothing more."""
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    shown = cpm("shown", total=0.02, price=10.0)  # 0.01 per impression: two fit
    clicked = replace(cpm("clicked", total=1.0), pricing_model="cpc", price=0.45)  # two clicks fit
    sink = EventSink(conn, Spool(tmp_path), "q", campaign_of={c.id: c for c in (shown, clicked)}.get)
    spooled = [Event(f"i{n}", "impression", "shown", "shown-card", "adv", "placement", cost=0.01) for n in range(3)]
    spooled += [replace(cpc_click(n), campaign_id="clicked") for n in range(3)]
    for _ in range(2):  # the second time: a drain that pushed, then died before truncating its file
        for e in spooled:
            sink.spool.append(e.to_json())
        sink.spool.flush()
        sink.replay_spool()
    queued = [Event.from_json(x) for x in conn.lrange(keys.INCOMING, 0, -1)]
    assert [(e.decision_id, e.billable, e.reason) for e in queued] == [
        ("i0", True, ""),
        ("i1", True, ""),
        ("i2", False, "over_budget"),
        ("d0", True, ""),
        ("d1", True, ""),
        ("d2", False, "over_budget"),
    ]
    spend = RedisBudget(conn).spend([shown, clicked])
    assert spend["shown"][0] == 20_000 and spend["clicked"][0] == 900_000


def test_concurrent_cpc_clicks_never_bill_past_the_budget(redis_url, tmp_path):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    c = replace(cpm(total=10.0, daily=5.0), pricing_model="cpc", price=0.5)  # the day allows 10 clicks
    billed = []

    def hammer(t: int):
        sink = EventSink(redis_lib.Redis.from_url(redis_url), Spool(tmp_path / str(t)), "q")
        for i in range(10):
            sink.emit(cpc_click(t * 100 + i, price=0.5), campaign=c)

    threads = [threading.Thread(target=hammer, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    billed = [e for e in map(Event.from_json, conn.lrange(keys.INCOMING, 0, -1)) if e.billable]
    assert len(billed) == 10 and sum(e.cost for e in billed) == 5.0
    assert RedisBudget(conn).spend([c])["c"] == (5_000_000, 5_000_000)


def test_redis_down_fails_open():
    dead = redis_lib.Redis(port=1, socket_connect_timeout=0.1)
    gate = RedisBudget(dead)
    c = cpm(total=1.0)
    assert gate.choose([c]) == Choice(0, {}, False)


def test_decision_api_answers_200_when_redis_is_down(services, client, example_catalog):
    services.budget = RedisBudget(redis_lib.Redis(port=1, socket_connect_timeout=0.1, socket_timeout=0.1))
    body = {
        "placement": "article-footer",
        "article": {"title": "Physical AI", "topic": "artificial-intelligence", "keywords": ["agents"]},
    }
    assert client.post("/v1/decision", json=body).status_code == 200


def test_spend_command_shows_spend_against_budget(cli, load_catalog, services):
    load_catalog()
    first = services.catalog.get().campaigns[0]
    services.redis.flushdb()
    r = cli("spend", first.id)
    assert r.exit_code == 0, r.output
    assert first.id in r.output and "today / daily" in r.output


def test_spend_command_refuses_an_unknown_campaign(cli, load_catalog):
    load_catalog()
    r = cli("spend", "no-such-campaign")
    assert r.exit_code == 1
    assert "no campaign" in r.output


def test_a_decision_costs_one_redis_round_trip(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    snap = CatalogSnapshot.build(1, (cpm("a", total=10.0, daily=5.0, pacing="even"), cpm("b", total=10.0)))
    gate = RedisBudget(conn)
    decide(ctx(topic="sport"), snap, budget=gate, today=TODAY)  # loads the script
    conn.config_resetstat()
    decide(ctx(topic="sport"), snap, budget=gate, today=TODAY)
    calls = {k: v["calls"] for k, v in conn.info("commandstats").items()}
    # GET/INCRBY/EXPIRE run inside the script; the client sent one EVALSHA and nothing else.
    sent = set(calls) - {"cmdstat_get", "cmdstat_incrby", "cmdstat_expire", "cmdstat_config|resetstat", "cmdstat_info"}
    assert sent == {"cmdstat_evalsha"} and calls["cmdstat_evalsha"] == 1


def test_concurrent_decisions_stop_at_the_budget(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    snap = CatalogSnapshot.build(1, (cpm("capped", total=0.5, price=10.0, priority=1), cpm("filler", priority=0)))
    winners = []

    def hammer():
        gate = RedisBudget(redis_lib.Redis.from_url(redis_url))
        for _ in range(40):
            winners.append(decide(ctx(topic="sport"), snap, budget=gate, today=TODAY).decision.campaign.id)

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert winners.count("capped") == 50
    assert RedisBudget(conn).spend([snap.by_id["capped"]])["capped"][0] == 500_000


def test_even_pacing_holds_back_a_decision_ahead_of_the_clock(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    snap = CatalogSnapshot.build(1, (cpm("paced", daily=10.0, pacing="even", priority=1), cpm("filler", priority=0)))
    conn.set("adserver:spend:day:2026-11-25:paced", 5 * 1_000_000)
    out = decide(ctx(topic="sport"), snap, budget=RedisBudget(conn, now=at(3)), today=TODAY)
    assert out.decision.campaign.id == "filler"
    assert ("paced", "pacing: ahead of the day") in [(r.campaign_id, r.reason) for r in out.rejected]


def test_a_served_decision_costs_one_redis_round_trip_impression_included(services, client, example_catalog):
    body = {
        "placement": "article-footer",
        "article": {"title": "Physical AI", "topic": "artificial-intelligence", "keywords": ["agents"]},
    }
    conn = services.redis
    conn.flushdb()
    assert client.post("/v1/decision", json=body).status_code == 200  # loads the script, enqueues a batch job
    before = conn.llen("adserver:events:incoming")
    conn.config_resetstat()
    assert client.post("/v1/decision", json=body).status_code == 200
    calls = {k: v["calls"] for k, v in conn.info("commandstats").items()}
    conn.config_resetstat()
    assert calls.pop("cmdstat_evalsha") == 1
    inside = {"cmdstat_get", "cmdstat_incr", "cmdstat_incrby", "cmdstat_expire", "cmdstat_rpush", "cmdstat_hincrby"}
    inside.add("cmdstat_set")  # the impression's seen marker
    assert set(calls) <= inside | {"cmdstat_config|resetstat"}  # all inside the one EVALSHA
    assert conn.llen("adserver:events:incoming") == before + 1  # the impression went with it


def test_redis_down_spools_the_impression_once(services, client, example_catalog, tmp_path):
    dead = redis_lib.Redis(port=1, socket_connect_timeout=0.1, socket_timeout=0.1)
    services.events.spool = Spool(tmp_path)
    services.budget = RedisBudget(dead, sink=services.events)
    services.events.redis = dead
    services.events._script = dead.register_script("return 1")
    body = {"placement": "article-footer", "article": {"topic": "artificial-intelligence", "keywords": ["agents"]}}
    assert client.post("/v1/decision", json=body).status_code == 200
    services.events.spool.flush()
    lines = [line for f in services.events.spool.files() for line in open(f, encoding="utf-8")]
    assert len(lines) == 1 and '"event_type":"impression"' in lines[0]


def test_a_slow_reply_is_not_retried_into_a_second_booking(redis_url):
    """redis-py retries a timed-out command by default; a script that books must run once at most."""
    from adserver.infra.redis_client import from_url as redis_client

    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    slow_booking = """
    local start = redis.call('TIME')
    local t0 = tonumber(start[1]) * 1000000 + tonumber(start[2])
    repeat
      local now = redis.call('TIME')
    until tonumber(now[1]) * 1000000 + tonumber(now[2]) - t0 > 700000
    return redis.call('INCR', KEYS[1])
    """
    client = redis_client(redis_url)  # 0.5 s socket timeout: the reply comes too late
    with pytest.raises(redis_lib.TimeoutError):
        client.eval(slow_booking, 1, "booked")
    deadline = time.monotonic() + 5
    while conn.get("booked") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)  # a retry, had there been one, would have run by now
    assert conn.get("booked") == b"1"


def loses_replies(gate: RedisBudget) -> None:
    """The budget script runs (books, queues, counts), then the connection drops before its reply arrives."""
    real = gate._choose

    def runs_then_loses_the_reply(*args, **kwargs):
        real(*args, **kwargs)
        raise redis_lib.ConnectionError("connection closed by server")

    gate._choose = runs_then_loses_the_reply


def test_a_reply_lost_after_the_script_ran_leaves_the_served_card_as_the_one_recorded(redis_url, tmp_path):
    """Redis runs the call, then dies before answering: the web process serves its fallback, and Redis must
    not hold another contender's impression than the card served (seen in the fault benchmark)."""
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    paced = cpm("paced", daily=10.0, pacing="even", priority=1)  # refused: far ahead of the clock
    filler = cpm("filler", priority=0)
    conn.set("adserver:spend:day:2026-11-25:paced", 9 * 1_000_000)
    sink = EventSink(conn, Spool(tmp_path), "q")
    gate = RedisBudget(conn, now=at(3), sink=sink)
    loses_replies(gate)
    snap = CatalogSnapshot.build(1, (paced, filler))
    served = lambda d: from_decision(d, Requester())  # noqa: E731
    out = decide(ctx(topic="sport"), snap, budget=gate, today=TODAY, impression=served)
    sink.spool.flush()
    recorded = [Event.from_json(x) for x in conn.lrange(keys.INCOMING, 0, -1)]
    recorded += [Event.from_json(line) for f in sink.spool.files() for line in open(f, encoding="utf-8")]
    assert out.recorded and {(e.decision_id, e.campaign_id) for e in recorded} == {
        (out.decision.id, out.decision.campaign.id)
    }


def test_a_replay_after_a_lost_reply_neither_books_nor_counts_the_impression_again(redis_url, tmp_path):
    """The budget script ran (booked, queued, counted) but its reply was lost: the web process spooled the
    impression, and its replay must be a duplicate (reconcile found Redis counting it twice)."""
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    sink = EventSink(conn, Spool(tmp_path), "q")
    gate = RedisBudget(conn, now=at(3), sink=sink)
    loses_replies(gate)
    snap = CatalogSnapshot.build(1, (cpm("c", daily=10.0, price=10.0),))
    served = lambda d: from_decision(d, Requester())  # noqa: E731
    out = decide(ctx(topic="sport"), snap, budget=gate, today=TODAY, impression=served)
    sink.spool.flush()
    assert out.recorded and sink.spool.size() == 1
    sink.replay_spool()
    assert conn.llen(keys.INCOMING) == 1
    (event,) = [Event.from_json(x) for x in conn.lrange(keys.INCOMING, 0, -1)]
    assert conn.hget(keys.counts(event.day), "c:impression:b") == b"1"
    assert int(conn.get("adserver:spend:total:c")) == 10_000  # 10.00 CPM booked once, in micros


def test_a_dry_run_books_nothing_and_refuses_what_serving_refuses(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    spent, fresh = cpm("spent", total=0.01, price=10.0, priority=1), cpm("fresh", total=1.0, price=10.0)
    gate = RedisBudget(conn)
    assert gate.choose([spent]).winner == 0  # its one impression: the budget is spent
    dry = DryRun(gate)
    assert [dry.choose([spent, fresh]) for _ in range(3)] == [Choice(1, {"spent": "total budget spent"}, False)] * 3
    assert gate.spend([spent, fresh]) == {"spent": (10_000, 10_000), "fresh": (0, 0)}  # nothing booked
    assert gate.verdicts([spent, fresh]) == {"spent": "total budget spent", "fresh": ""}


def test_spend_shows_a_cpc_campaign_stopped_one_click_early_as_serving_does(cli, services, load_catalog):
    """0.40 of 100.00 left and a click costs 0.50: serving stops the campaign, and `adserver spend` says so."""
    load_catalog(catalog_file())  # acme-spring: CPC 0.50, total budget 100, daily 10
    services.redis.set(keys.spend("acme-spring", "")[0], 99_600_000)
    out = cli("spend", "acme-spring")
    assert out.exit_code == 0, out.output
    assert "total budget spent" in out.output and "99.60 / 100.00" in out.output
    snap = services.catalog.get()
    out = decide(ctx(topic="technology", keywords=["gadgets"]), snap, budget=services.budget, explain=True)
    assert out.decision is None and ("acme-spring", "total budget spent") in [
        (r.campaign_id, r.reason) for r in out.rejected
    ]
