"""Every billable decision is counted for the reach forecast, whoever won, and folded into SQL exactly once."""

from __future__ import annotations

import time

import orjson
import pytest
from sqlalchemy import func, select

from adserver.forecast import store
from adserver.forecast.tally import ReachTally
from adserver.infra import keys, storage
from adserver.serving.context import ArticleContext
from adserver.serving.plans import Plan
from tests.builders import AI_ARTICLE, BROWSER, GERMAN, GOOGLEBOT, catalog_file

NOTHING_MATCHES = {"placement": "article-footer", "article": {"topic": "gardening", "title": "Pruning roses"}}
READER = "reader-7f3a"  # the publisher's anonymous reader id: never counted


def audience(db) -> dict[tuple, int]:
    t = storage.ReachAudience.__table__
    with db.engine.connect() as c:
        rows = c.execute(select(t)).all()
    return {tuple(r[:-1]): r[-1] for r in rows}


def decided(client, body, headers=BROWSER, path="/v1/decision"):
    return client.post(path, json=body, headers=headers, environ_base={"REMOTE_ADDR": GERMAN})


@pytest.fixture
def folded(services, db):
    def fold() -> int:
        services.reach.flush()
        return store.fold(services.redis, db)

    return fold


def test_decisions_count_whoever_won_and_nothing_served_too(client, load_catalog, db, folded):
    load_catalog(catalog_file())  # acme's technology campaign, and no house card to fill the rest
    served = decided(client, {"placement": "article-footer", "article": {"topic": "technology", "reader": READER}})
    assert served.status_code == 200
    assert decided(client, NOTHING_MATCHES).status_code == 204
    assert decided(client, NOTHING_MATCHES).status_code == 204

    assert folded() == 3
    counts = audience(db)
    topics = {k[-1]: n for k, n in counts.items()}
    assert topics == {"technology": 1, "other": 2}
    (key,) = [k for k in counts if k[-1] == "technology"]
    _day, _hour, site, placement, country, device, _topic = key
    assert (site, placement, country, device) == ("", "article-footer", "DE", "desktop")


def test_bots_explain_and_unknown_pages_are_not_counted(client, example_catalog, db, folded):
    decided(client, AI_ARTICLE, headers=GOOGLEBOT)
    assert client.post("/v1/decision?explain=1", json=AI_ARTICLE, headers=BROWSER).status_code == 200
    assert folded() == 0
    assert audience(db) == {}


def test_the_counts_hold_no_reader_and_no_address(client, example_catalog, services, db, folded):
    body = {**AI_ARTICLE, "article": {**AI_ARTICLE["article"], "reader": READER}}
    decided(client, body, headers={**BROWSER, "X-Reader-Id": READER})
    services.reach.flush()
    hashes = [services.redis.hgetall(name) for name in (keys.REACH, keys.REACH_ARTICLES)]
    held = b"".join(k + v for h in hashes for k, v in h.items())
    assert held and READER.encode() not in held and GERMAN.encode() not in held
    store.fold(services.redis, db)
    with db.engine.connect() as c:
        stored = repr(c.execute(select(storage.ReachArticle.__table__)).all()) + repr(audience(db))
    assert "Japan's manufacturing sector" in stored  # the article's own reading, for keywords and exclusions
    assert READER not in stored and GERMAN not in stored


def test_a_fold_retried_after_its_worker_died_adds_nothing_twice(services, db, example_catalog, client):
    decided(client, AI_ARTICLE)
    services.reach.flush()
    conn = services.redis
    # A worker took the counts and wrote them, then died before dropping the fold's keys.
    store.fold(conn, db)
    fold_id = "dead-worker-fold"
    counts_key, _ = keys.reach_fold(fold_id)
    field = orjson.dumps([int(time.time() // 3600), "", "article-footer", "DE", "desktop", "x", "a"])
    conn.hset(counts_key, field, 5)
    conn.sadd(keys.REACH_FOLDS, fold_id)
    assert store.fold(conn, db) == 5
    conn.hset(counts_key, field, 5)
    conn.sadd(keys.REACH_FOLDS, fold_id)  # the same fold found again: already written
    assert store.fold(conn, db) == 0
    assert sum(audience(db).values()) == 6
    assert not conn.smembers(keys.REACH_FOLDS)


def test_counts_wait_in_memory_until_the_interval_is_over(services):
    now = [1_000_000.0]
    tally = ReachTally(services.redis, interval=1.0, clock=lambda: now[0])
    plan = Plan(ArticleContext.create("article-footer", topic="sport", title="Cup final"), [], None, "sport")
    tally.count(plan, "", "mobile", "FR")
    assert not services.redis.exists(keys.REACH)  # no round trip per decision
    now[0] += 1.5
    tally.count(plan, "", "mobile", "FR")
    (n,) = services.redis.hvals(keys.REACH)
    assert int(n) == 2
    assert services.redis.hlen(keys.REACH_ARTICLES) == 1


def test_the_worker_tick_folds_the_counts_with_the_events(services, db, example_catalog, client, persist):
    decided(client, NOTHING_MATCHES)
    services.reach.flush()
    persist()
    with db.engine.connect() as c:
        assert c.scalar(select(func.sum(storage.ReachAudience.decisions))) == 1
        assert c.scalar(select(func.count()).select_from(storage.ReachArticleDay)) == 1


def test_days_past_those_kept_are_forgotten_at_the_next_fold(services, db):
    conn, now_hour = services.redis, int(time.time() // 3600)
    for hour, n in ((now_hour - 24 * (store.KEEP_DAYS + 1), 7), (now_hour, 1)):
        conn.hset(keys.REACH, orjson.dumps([hour, "", "article-footer", "DE", "mobile", "sport", "a"]), n)
    store.fold(conn, db)
    assert sum(audience(db).values()) == 1
