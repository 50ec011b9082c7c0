"""Events through real Redis into real SQL: counted once, never lost."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from adserver.events import reconcile, store
from adserver.events.reporting import ReportQuery, run_report
from adserver.infra import keys, storage
from tests.builders import (
    AI,
    BRITISH,
    BROWSER,
    BROWSER_AGENTS,
    GERMAN,
    GOOGLEBOT,
    LEDGERLY,
    LEDGERLY_CAMPAIGN,
    ZAHID,
    ZAHID_CAMPAIGN,
    path,
    raw_count,
    rollup,
    serve,
    zahid_event,
)


def test_impression_view_and_click_are_persisted_once(client, db, persist, example_catalog):
    d = serve(client)
    assert client.post(path(d["tracking"]["view_url"]), headers=BROWSER).status_code == 204
    assert client.get(path(d["tracking"]["click_url"]), headers=BROWSER).status_code == 302
    assert persist() == 3
    got = rollup(db)
    assert (got["impressions"], got["views"], got["clicks"]) == (1, 1, 1)
    assert got["spend"] == pytest.approx(0.45)  # one CPC click at 0.45


def test_replayed_view_and_click_are_accepted_but_counted_once(client, db, persist, example_catalog):
    d = serve(client)
    for _ in range(3):
        assert client.post(path(d["tracking"]["view_url"]), headers=BROWSER).status_code == 204
        r = client.get(path(d["tracking"]["click_url"]), headers=BROWSER)
        assert r.status_code == 302 and r.headers["Location"].startswith("https://zahid.host/")
    persist()
    got = rollup(db)
    assert (got["impressions"], got["views"], got["clicks"]) == (1, 1, 1)


def test_forged_or_tampered_links_are_not_counted(client, db, services, persist, example_catalog):
    d = serve(client)
    persist()
    view = path(d["tracking"]["view_url"])
    assert client.post(view[:-2] + "xx", headers=BROWSER).status_code == 403
    assert client.get("/t/click/forged.token.value", headers=BROWSER).status_code == 403
    assert services.redis.llen(keys.INCOMING) == 0
    assert rollup(db)["views"] == 0


def test_bot_traffic_is_answered_but_not_billed(client, db, persist, example_catalog):
    d = serve(client, GOOGLEBOT)
    assert client.get(path(d["tracking"]["click_url"]), headers=GOOGLEBOT).status_code == 302
    persist()
    got = rollup(db)
    assert (got["impressions"], got["clicks"], got["spend"]) == (0, 0, 0)
    assert (got["nb_impressions"], got["nb_clicks"]) == (1, 1)


def test_prefetch_is_not_billed(client, db, persist, example_catalog):
    serve(client, {**BROWSER, "Sec-Purpose": "prefetch"})
    persist()
    assert rollup(db)["nb_impressions"] == 1 and rollup(db)["impressions"] == 0


def test_beacons_over_the_per_ip_limit_get_429_and_are_not_counted(app, client, db, persist, example_catalog):
    app.extensions["adserver"].events.rate_limit = 3
    decisions = [serve(client) for _ in range(5)]
    codes = [client.post(path(d["tracking"]["view_url"]), headers=BROWSER).status_code for d in decisions]
    assert codes == [204, 204, 204, 429, 429]
    persist()
    assert rollup(db)["views"] == 3
    assert rollup(db)["rate_limited_views"] == 2


MARKETS = {"placement": "article-footer", "article": {"topic": "markets", "keywords": ["etf"]}}


def test_impressions_past_the_address_rate_are_served_but_neither_billed_nor_booked(
    client, db, services, persist, example_catalog
):
    services.budget.impression_rate_limit = 3
    served = [client.post("/v1/decision", json=MARKETS, headers=BROWSER) for _ in range(5)]
    assert [r.status_code for r in served] == [200] * 5  # the reader keeps getting cards
    assert {r.get_json()["campaign"]["id"] for r in served} == {"ledgerly-index-investing"}  # CPM 9.50
    assert int(services.redis.get("adserver:spend:total:ledgerly-index-investing")) == 3 * 9500  # micros
    persist()
    got = rollup(db, "ledgerly-index-investing")
    assert (got["impressions"], got["nb_impressions"], got["spend"]) == (3, 2, pytest.approx(3 * 0.0095))
    with db.sessionmaker() as s:
        reasons = s.scalars(select(storage.Event.reason).where(storage.Event.billable.is_(False))).all()
    assert reasons == ["rate_limited", "rate_limited"]
    assert reconcile.differences(db, services.redis, datetime.now(UTC).date(), services.keys) == []


def test_another_address_is_billed_while_one_is_over_its_impression_rate(
    client, db, services, persist, example_catalog
):
    services.budget.impression_rate_limit = 1
    for address in ("203.0.113.7", "203.0.113.8", "198.51.100.9"):  # the first two share a /24
        client.post("/v1/decision", json=MARKETS, headers=BROWSER, environ_base={"REMOTE_ADDR": address})
    persist()
    got = rollup(db, "ledgerly-index-investing")
    assert (got["impressions"], got["nb_impressions"]) == (2, 1)


def test_bot_prefetch_and_rate_limited_traffic_each_land_in_their_own_columns(
    client, db, services, persist, example_catalog
):
    bot = serve(client, GOOGLEBOT)
    assert client.post(path(bot["tracking"]["view_url"]), headers=GOOGLEBOT).status_code == 204
    serve(client, {**BROWSER, "Sec-Purpose": "prefetch"})
    person = serve(client)
    services.events.rate_limit = 0  # every beacon from here on is over the limit
    assert client.get(path(person["tracking"]["click_url"]), headers=BROWSER).status_code == 302  # still sent on
    persist()
    got = rollup(db)
    assert {k: v for k, v in got.items() if v} == {
        "impressions": 1,  # the person's
        "nb_impressions": 2,
        "nb_views": 1,
        "bot_impressions": 1,
        "bot_views": 1,
        "prefetch_impressions": 1,
        "rate_limited_clicks": 1,
    }


def test_a_rate_limited_click_then_an_allowed_one_counts_once_billable(client, db, services, persist, example_catalog):
    d = serve(client)
    services.events.rate_limit = 0
    assert client.get(path(d["tracking"]["click_url"]), headers=BROWSER).status_code == 302  # not counted
    services.events.rate_limit = 100  # the limit window has passed
    assert client.get(path(d["tracking"]["click_url"]), headers=BROWSER).status_code == 302
    assert client.get(path(d["tracking"]["click_url"]), headers=BROWSER).status_code == 302  # a replay
    persist()
    got = rollup(db)
    assert (got["clicks"], got["rate_limited_clicks"], got["spend"]) == (1, 1, pytest.approx(0.45))


def test_a_flood_of_refused_beacons_keeps_one_counter_per_campaign_and_type(
    client, services, db, persist, example_catalog
):
    d = serve(client)
    services.events.rate_limit = 0
    for _ in range(200):
        assert client.post(path(d["tracking"]["view_url"]), headers=BROWSER).status_code == 429
    assert services.redis.hlen(keys.RATE_LIMITED) == 1
    assert services.redis.llen(keys.INCOMING) == 1  # only the impression was queued
    persist()
    assert rollup(db)["rate_limited_views"] == 200
    assert not services.redis.exists(keys.RATE_LIMITED)


def test_a_fold_retried_after_its_worker_died_adds_nothing_twice(client, services, db, example_catalog):
    d = serve(client)
    services.events.rate_limit = 0
    for _ in range(3):
        assert client.get(path(d["tracking"]["click_url"]), headers=BROWSER).status_code == 302  # not counted
    fold_key = keys.FOLD_PREFIX + "dead"
    services.redis.rename(keys.RATE_LIMITED, fold_key)  # taken by a worker ...
    services.redis.sadd(keys.FOLDS_PENDING, "dead")
    taken = services.redis.hgetall(fold_key)
    assert store.fold_rate_limited(services.redis, db, services.keys) == 3  # ... written to SQL ...
    services.redis.hset(fold_key, mapping=taken)  # ... but killed before it dropped its key
    services.redis.sadd(keys.FOLDS_PENDING, "dead")
    assert store.fold_rate_limited(services.redis, db, services.keys) == 0  # the next worker only cleans up
    assert rollup(db)["rate_limited_clicks"] == 3
    assert not services.redis.exists(fold_key) and not services.redis.scard(keys.FOLDS_PENDING)


def test_raw_events_keep_no_raw_ip(client, db, persist, example_catalog):
    serve(client, {**BROWSER})
    persist()
    with db.engine.connect() as conn:
        rows = conn.execute(select(storage.Event.__table__)).mappings().all()
    assert rows and all("127.0.0.1" not in str(v) for row in rows for v in row.values())


def test_reconcile_agrees_then_finds_a_planted_mismatch(client, db, services, persist, example_catalog):
    d = serve(client)
    client.get(path(d["tracking"]["click_url"]), headers=BROWSER)
    persist()
    today = datetime.now(UTC).date()
    assert reconcile.differences(db, services.redis, today, services.keys) == []
    with db.engine.begin() as conn:
        conn.execute(storage.DailyRollup.__table__.update().values(clicks=storage.DailyRollup.clicks + 1))
    diffs = reconcile.differences(db, services.redis, today, services.keys)
    assert diffs == [
        {
            "campaign": "zahid-ai-side-projects",
            "event": "click",
            "traffic": "billable",
            "raw": 1,
            "rollups": 2,
            "redis": 1,
        }
    ]


def test_reconcile_compares_rate_limited_counts_of_rollups_and_redis(client, db, services, persist, example_catalog):
    d = serve(client)
    services.events.rate_limit = 0
    client.get(path(d["tracking"]["click_url"]), headers=BROWSER)
    today = datetime.now(UTC).date()
    assert reconcile.differences(db, services.redis, today, services.keys) == [  # queued, not yet persisted
        {
            "campaign": "zahid-ai-side-projects",
            "event": "click",
            "traffic": "rate_limited",
            "raw": None,
            "rollups": 0,
            "redis": 1,
        },
        {
            "campaign": "zahid-ai-side-projects",
            "event": "impression",
            "traffic": "billable",
            "raw": 0,
            "rollups": 0,
            "redis": 1,
        },
    ]
    persist()
    assert reconcile.differences(db, services.redis, today, services.keys) == []


def test_reconcile_prints_the_counts_as_a_table_and_a_mismatch_as_rows(cli, client, db, persist, example_catalog):
    d = serve(client)
    client.get(path(d["tracking"]["click_url"]), headers=BROWSER)
    persist()
    r = cli("events", "reconcile")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["event", "traffic", "raw", "rollups", "redis"]
    assert lines[2].split() == ["impression", "billable", "1", "1", "1"]
    assert lines[3].split() == ["click", "billable", "1", "1", "1"]
    assert "agree" in lines[-1] and "{" not in r.stdout
    with db.engine.begin() as conn:
        conn.execute(storage.DailyRollup.__table__.update().values(clicks=storage.DailyRollup.clicks + 1))
    r = cli("events", "reconcile")
    assert r.exit_code == 1
    assert re.search(r"zahid-ai-side-projects\s+click\s+billable\s+1\s+2\s+1", r.stdout)


def test_one_event_twice_in_a_batch_is_stored_and_rolled_up_once(db, example_catalog):
    e = zahid_event("d" * 32, "click", cost=0.45, keywords=("agents",))
    assert store.write_lines(db, [e.to_json(), e.to_json().encode()]) == 1
    assert store.write_batch(db, [e]) == 0
    got = rollup(db)
    assert (got["clicks"], got["spend"], raw_count(db)) == (1, pytest.approx(0.45), 1)


def test_events_status_shows_refused_beacons_waiting_for_the_rollups(cli, client, services, persist, example_catalog):
    d = serve(client)
    services.events.rate_limit = 0
    for _ in range(2):
        client.get(path(d["tracking"]["click_url"]), headers=BROWSER)
    waiting = re.compile(r"rate-limited beacons not yet in rollups\s+(\d+)")
    assert waiting.search(cli("events", "status").output).group(1) == "2"
    persist()
    assert waiting.search(cli("events", "status").output).group(1) == "0"
    assert cli("events", "reconcile").exit_code == 0


def test_a_queued_line_without_the_optional_fields_is_stored_with_their_defaults(db, example_catalog):
    line = json.dumps(
        {
            "decision_id": "e" * 32,
            "event_type": "impression",
            "campaign_id": "zahid-ai-side-projects",
            "creative_id": "zahid-agents-card",
            "advertiser_id": "zahid-host",
            "placement": "article-footer",
            "occurred_at": datetime.now(UTC).isoformat(),
        }
    )
    assert store.write_lines(db, [line]) == 1
    with db.sessionmaker() as s:
        e = s.scalars(select(storage.Event)).one()
    assert (e.billable, e.reason, e.topic, e.keywords, float(e.cost), e.score) == (True, "", "", [], 0.0, None)
    assert rollup(db)["impressions"] == 1
    with db.sessionmaker() as s:  # a line queued before events carried the reader's country and device
        r = s.scalars(select(storage.DailyRollup)).one()
    assert (e.country, r.country, r.device) == ("", "unknown", "unknown")


def test_a_fold_whose_sql_write_fails_keeps_its_counts_for_the_next_one(
    client, services, db, example_catalog, monkeypatch
):
    d = serve(client)
    services.events.rate_limit = 0
    for _ in range(2):
        client.post(path(d["tracking"]["view_url"]), headers=BROWSER)

    def broken(*_args, **_kw):
        raise RuntimeError("database went away mid-fold")

    monkeypatch.setattr(store, "_add_to_rollups", broken)
    with pytest.raises(RuntimeError):
        store.fold_rate_limited(services.redis, db, services.keys)
    monkeypatch.undo()
    client.post(path(d["tracking"]["view_url"]), headers=BROWSER)  # a new refusal meanwhile
    assert store.fold_rate_limited(services.redis, db, services.keys) == 3
    assert store.fold_rate_limited(services.redis, db, services.keys) == 0
    assert rollup(db)["rate_limited_views"] == 3


def test_two_workers_writing_the_same_batch_at_once_count_it_once(db, example_catalog):
    import threading

    lines = [zahid_event(f"{i:032x}").to_json() for i in range(2000)]
    start, new, errors = threading.Barrier(2), [], []

    def write() -> None:
        start.wait()
        try:
            new.append(store.write_lines(db, lines))
        except Exception as e:  # a deadlock would surface here (and be retried by rq in production)
            errors.append(e)

    threads = [threading.Thread(target=write) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sum(new) == 2000
    assert raw_count(db) == 2000 and rollup(db)["impressions"] == 2000


def test_replays_of_a_counted_beacon_neither_count_as_refused_nor_use_up_the_limit(
    client, db, services, persist, example_catalog
):
    services.events.rate_limit = 3
    first, second = serve(client), serve(client)
    view = path(first["tracking"]["view_url"])
    codes = [client.post(view, headers=BROWSER).status_code for _ in range(300)]  # counted once, then replays
    assert set(codes) == {204}
    assert client.post(path(second["tracking"]["view_url"]), headers=BROWSER).status_code == 204  # limit left
    persist()
    got = rollup(db)
    assert (got["views"], got["rate_limited_views"]) == (2, 0)


# --- the reader's country and device: on every event, a dimension of the rollups --------------------------

PHONE, DESKTOP = BROWSER_AGENTS["mobile"][0], BROWSER_AGENTS["desktop"][0]
MARKETS = {"placement": "article-footer", "article": {"topic": "markets", "keywords": ["etf", "index funds"]}}


def served_from(client, address: str, agent: str, body=AI) -> dict:
    r = client.post("/v1/decision", json=body, headers={"User-Agent": agent}, environ_base={"REMOTE_ADDR": address})
    assert r.status_code == 200
    return r.get_json()


def test_reports_split_by_country_and_device_and_the_rows_sum_to_the_total(
    client, db, services, persist, example_catalog
):
    for address, agent in [(GERMAN, PHONE), (GERMAN, PHONE), (BRITISH, DESKTOP), ("10.0.0.7", DESKTOP)]:
        d = served_from(client, address, agent)
    client.get(path(d["tracking"]["click_url"]), headers={"User-Agent": DESKTOP}, environ_base={"REMOTE_ADDR": GERMAN})
    assert served_from(client, GERMAN, PHONE, MARKETS)["campaign"]["id"] == LEDGERLY_CAMPAIGN  # another advertiser
    persist()
    today = datetime.now(UTC).date()
    report = run_report(db, ReportQuery(today, today, ("country", "device"), ZAHID))
    # The click comes from another place than its impression: each event counts where its reader was.
    assert [(r["country"], r["device"], r["impressions"], r["clicks"]) for r in report.rows] == [
        ("DE", "desktop", 0, 1),
        ("DE", "mobile", 2, 0),
        ("GB", "desktop", 1, 0),
        ("unknown", "desktop", 1, 0),  # a private address has no country
    ]
    whole = run_report(db, ReportQuery(today, today, (), ZAHID)).totals
    assert report.totals == whole and (whole["impressions"], whole["clicks"]) == (4, 1)
    ledgerly = run_report(db, ReportQuery(today, today, ("country", "device"), LEDGERLY)).rows
    assert [(r["country"], r["device"], r["impressions"]) for r in ledgerly] == [("DE", "mobile", 1)]
    assert reconcile.differences(db, services.redis, today, services.keys) == []


def test_a_refused_beacon_is_counted_in_its_readers_country_and_device(client, db, services, persist, example_catalog):
    d = served_from(client, BRITISH, PHONE)
    services.events.rate_limit = 0
    client.get(path(d["tracking"]["click_url"]), headers={"User-Agent": PHONE}, environ_base={"REMOTE_ADDR": BRITISH})
    persist()
    r = storage.DailyRollup
    with db.sessionmaker() as s:
        rows = s.execute(select(r.country, r.device, r.impressions, r.rate_limited_clicks)).all()
    assert rows == [("GB", "mobile", 1, 1)]


def test_counts_from_before_the_dimensions_existed_fold_as_unknown(db, services, example_catalog):
    old_field = json.dumps([datetime.now(UTC).date().isoformat(), ZAHID_CAMPAIGN, "k", "p", "t", "click"])
    services.redis.hset(keys.RATE_LIMITED, old_field, 3)
    assert store.fold_rate_limited(services.redis, db, services.keys) == 3
    r = storage.DailyRollup
    with db.sessionmaker() as s:
        assert s.execute(select(r.country, r.device, r.rate_limited_clicks)).all() == [("unknown", "unknown", 3)]
