"""Events through real Redis into real SQL: counted once, never lost."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, true

from adserver import keys, lua, storage
from adserver.events import jobs, reconcile, store
from adserver.services import set_worker_services
from tests.builders import zahid_event

BROWSER = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
}
GOOGLEBOT = {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}
AI = {"placement": "article-footer", "article": {"topic": "artificial-intelligence", "keywords": ["agents"]}}
REASON_COLUMNS = [
    *(f"{g}_{k}" for g in ("bot", "prefetch") for k in ("impressions", "views", "clicks")),
    "rate_limited_views",
    "rate_limited_clicks",
]


@pytest.fixture
def persist(services):
    """Run the worker's job in-process (the same function rq runs)."""
    set_worker_services(services)

    def run() -> int:
        return jobs.persist_pending(batch_key="adserver:events:batch:test")

    return run


def serve(client, headers=BROWSER) -> dict:
    r = client.post("/v1/decision", json=AI, headers=headers)
    assert r.status_code == 200
    return r.get_json()


def path(url: str) -> str:
    return urlsplit(url).path


def rollup(db, campaign: str | None = "zahid-ai-side-projects") -> dict:
    """Summed rollups of one campaign, or of all of them with campaign=None."""
    r = storage.DailyRollup
    with db.sessionmaker() as s:
        row = s.execute(
            select(
                func.sum(r.impressions),
                func.sum(r.views),
                func.sum(r.clicks),
                func.sum(r.nonbillable_impressions),
                func.sum(r.nonbillable_views),
                func.sum(r.nonbillable_clicks),
                func.sum(r.spend),
                *(func.sum(getattr(r, c)) for c in REASON_COLUMNS),
            ).where(r.campaign_id == campaign if campaign else true())
        ).one()
    cols = ["impressions", "views", "clicks", "nb_impressions", "nb_views", "nb_clicks", "spend", *REASON_COLUMNS]
    return {
        k: (float(v) if k == "spend" else int(v or 0)) if v is not None else 0 for k, v in zip(cols, row, strict=False)
    }


def raw_count(db) -> int:
    with db.sessionmaker() as s:
        return s.scalar(select(func.count()).select_from(storage.Event))


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
    assert reconcile.differences(db, services.redis, datetime.now(UTC).date()) == []


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
    assert store.fold_rate_limited(services.redis, db) == 3  # ... written to SQL ...
    services.redis.hset(fold_key, mapping=taken)  # ... but killed before it dropped its key
    services.redis.sadd(keys.FOLDS_PENDING, "dead")
    assert store.fold_rate_limited(services.redis, db) == 0  # the next worker only cleans up
    assert rollup(db)["rate_limited_clicks"] == 3
    assert not services.redis.exists(fold_key) and not services.redis.scard(keys.FOLDS_PENDING)


def test_raw_events_keep_no_raw_ip(client, db, persist, example_catalog):
    serve(client, {**BROWSER})
    persist()
    with db.engine.connect() as conn:
        rows = conn.execute(select(storage.Event.__table__)).mappings().all()
    assert rows and all("127.0.0.1" not in str(v) for row in rows for v in row.values())


def test_a_retried_batch_does_not_double_count(client, db, services, persist, example_catalog):
    for _ in range(10):
        serve(client)
    raw = services.redis.lrange(keys.INCOMING, 0, -1)
    persist()
    # A worker killed after writing but before deleting its batch: the same events come again.
    services.redis.rpush("adserver:events:batch:test", *raw)
    persist()
    assert rollup(db)["impressions"] == 10
    assert raw_count(db) == 10


def test_orphaned_batch_of_a_killed_worker_is_persisted_by_replay(client, db, services, example_catalog):
    for _ in range(4):
        serve(client)
    services.redis.rename(keys.INCOMING, "adserver:events:batch:dead-job")  # taken, never written
    assert jobs.persist_orphaned_batches(services.redis, db) == 4
    assert rollup(db)["impressions"] == 4
    assert not services.redis.exists("adserver:events:batch:dead-job")


def _batch_taken_by(services, worker_pid: int) -> str:
    """Queued events moved into the batch of a job run by a registered rq worker of process `worker_pid`."""
    from rq import Queue, Worker

    conn = services.redis
    worker = Worker([Queue("adserver-events", connection=conn)], connection=conn)
    worker.register_birth()
    conn.hset(worker.key, "pid", worker_pid)
    job = Queue("adserver-events", connection=conn).enqueue(jobs.persist_pending)
    job.worker_name = worker.name
    job.save()
    conn.rename(keys.INCOMING, keys.BATCH_PREFIX + job.id)
    return keys.BATCH_PREFIX + job.id


def test_a_starting_worker_writes_the_batch_of_a_worker_whose_process_is_gone(client, db, services, example_catalog):
    for _ in range(4):
        serve(client)
    dead = subprocess.Popen(["true"])
    dead.wait()
    key = _batch_taken_by(services, dead.pid)  # still registered in rq: a SIGKILL unregisters nothing
    assert jobs.persist_batches_of_dead_workers(services.redis, db) == 4
    assert rollup(db)["impressions"] == 4 and not services.redis.exists(key)


def test_a_starting_worker_leaves_the_batch_of_a_live_worker(client, db, services, example_catalog):
    serve(client)
    key = _batch_taken_by(services, os.getpid())
    assert jobs.persist_batches_of_dead_workers(services.redis, db) == 0
    assert services.redis.llen(key) == 1


def test_reconcile_agrees_then_finds_a_planted_mismatch(client, db, services, persist, example_catalog):
    d = serve(client)
    client.get(path(d["tracking"]["click_url"]), headers=BROWSER)
    persist()
    today = datetime.now(UTC).date()
    assert reconcile.differences(db, services.redis, today) == []
    with db.engine.begin() as conn:
        conn.execute(storage.DailyRollup.__table__.update().values(clicks=storage.DailyRollup.clicks + 1))
    diffs = reconcile.differences(db, services.redis, today)
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
    assert reconcile.differences(db, services.redis, today) == [  # queued, not yet persisted
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
    assert reconcile.differences(db, services.redis, today) == []


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


def test_a_batch_whose_worker_died_is_claimed_once_and_written(client, services, db, example_catalog):
    for _ in range(3):
        serve(client)
    key = "adserver:events:batch:killed"
    minute_ago = jobs.now_ms() - (jobs.STALE_BATCH_SECONDS + 1) * 1000
    services.redis.register_script(lua.TAKE)(keys=[keys.INCOMING, key, keys.BATCHES], args=[100, minute_ago])
    assert jobs.claim_stale_batches(services.redis) == [key]
    assert jobs.claim_stale_batches(services.redis) == []  # claimed by one tick only
    set_worker_services(services)
    assert jobs.persist_batch(key) == 3
    assert rollup(db)["impressions"] == 3
    assert not services.redis.exists(key) and services.redis.zcard(keys.BATCHES) == 0


def test_the_tick_queues_a_job_for_a_stale_batch(client, services, example_catalog):
    from rq import Queue

    serve(client)
    key = "adserver:events:batch:killed"
    minute_ago = jobs.now_ms() - (jobs.STALE_BATCH_SECONDS + 1) * 1000
    services.redis.register_script(lua.TAKE)(keys=[keys.INCOMING, key, keys.BATCHES], args=[100, minute_ago])
    queue = Queue(services.settings.queues[0], connection=services.redis)
    jobs.tick(services.redis, queue.name)
    assert ("adserver.events.jobs.persist_batch", (key,)) in [(j.func_name, j.args) for j in queue.jobs]


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
        store.fold_rate_limited(services.redis, db)
    monkeypatch.undo()
    client.post(path(d["tracking"]["view_url"]), headers=BROWSER)  # a new refusal meanwhile
    assert store.fold_rate_limited(services.redis, db) == 3
    assert store.fold_rate_limited(services.redis, db) == 0
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


def test_the_job_the_sink_enqueues_runs_in_an_rq_worker(client, db, services, example_catalog):
    """The sink names its job by dotted path (it imports none of the worker's code): the path must resolve."""
    from rq import Queue, SimpleWorker

    set_worker_services(services)
    services.redis.flushdb()
    services.events.batch_size = 2
    serve(client), serve(client)  # a full batch: one job
    queue = Queue(services.settings.queues[0], connection=services.redis)
    assert [j.func_name for j in queue.jobs] == ["adserver.events.jobs.persist_pending"]
    SimpleWorker([queue], connection=services.redis).work(burst=True)
    assert rollup(db)["impressions"] == 2 and queue.failed_job_registry.count == 0


def test_a_job_queued_under_its_old_path_still_runs(client, db, services, example_catalog):
    """Jobs queued before a deploy moved them (`adserver.jobs.*`) must still run after it."""
    from rq import Queue, SimpleWorker

    set_worker_services(services)
    serve(client)
    queue = Queue(services.settings.queues[0], connection=services.redis)
    queue.enqueue("adserver.jobs.persist_pending")
    SimpleWorker([queue], connection=services.redis).work(burst=True)
    assert rollup(db)["impressions"] == 1 and queue.failed_job_registry.count == 0
