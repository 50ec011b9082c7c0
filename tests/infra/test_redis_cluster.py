"""Redis Cluster: three real masters started from `redis-server --cluster-enabled yes`; every script on one
slot, keys spread over the masters, every event counted once."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis as redis_lib
from click.testing import CliRunner

from adserver import create_app
from adserver.cli import main
from adserver.events import jobs, reconcile, store
from adserver.forecast import store as reach_store
from adserver.infra import storage
from adserver.settings import SettingsError, load_settings
from tests.builders import BROWSER, path, raw_count, rollup, serve, stored_once_after_a_failover
from tests.conftest import EXAMPLE_CATALOG, _reset

pytestmark = pytest.mark.slow

ZAHID, CLICK_PRICE = "zahid-ai-side-projects", 0.45


@pytest.fixture
def cluster(redis_cluster):
    return redis_cluster


def on_cluster(settings_overrides: dict, cluster, spool_dir) -> dict:
    # rq's queues on the suite's plain Redis: rq does not run on a cluster. A spool of the test's own.
    return settings_overrides | {
        "redis_cluster_nodes": cluster.addresses,
        "rq_redis_url": settings_overrides["redis_url"],
        "spool_dir": str(spool_dir),
    }


@pytest.fixture
def cluster_overrides(settings_overrides, cluster, tmp_path):
    return on_cluster(settings_overrides, cluster, tmp_path / "spool")


def cluster_app(overrides: dict, cluster, **more):
    from adserver.catalog.files import import_catalog, read_file

    app = create_app(overrides | more)
    svc = app.extensions["adserver"]
    _reset(svc.db)
    cluster.flush()
    svc.rq.flushdb()
    import_catalog(svc.db, read_file(EXAMPLE_CATALOG))
    svc.catalog.refresh(force=True)
    jobs.use(svc)
    return app


@pytest.fixture
def app_on_cluster(cluster_overrides, cluster):
    app = cluster_app(cluster_overrides, cluster)
    yield app
    app.extensions["adserver"].close()


def persist() -> int:
    return jobs.persist_pending(batch="test")


def no_redis_failure(svc) -> None:
    """A script the cluster refused (CROSSSLOT) would fail open: served from memory, events spooled."""
    assert svc.budget.unavailable == 0
    assert svc.events.spool.size() == 0


def test_decisions_views_and_clicks_are_counted_through_the_cluster_and_stored_once(app_on_cluster):
    client, svc = app_on_cluster.test_client(), app_on_cluster.extensions["adserver"]
    assert isinstance(svc.redis, redis_lib.RedisCluster) and svc.keys.shards == 16
    served = [serve(client) for _ in range(20)]
    for d in served:
        assert client.post(path(d["tracking"]["view_url"]), headers=BROWSER).status_code == 204
        assert client.get(path(d["tracking"]["click_url"]), headers=BROWSER).status_code == 302
        assert client.get(path(d["tracking"]["click_url"]), headers=BROWSER).status_code == 302  # a replay
    no_redis_failure(svc)
    svc.reach.flush()  # the reach forecast's counts: their own slot, taken by their own script
    assert jobs.waiting(svc.redis, svc.keys) == 60
    assert persist() == 60
    assert reach_store.pending(svc.redis) == 0
    assert reach_store.load_window(svc.db, datetime.now(UTC).date() + timedelta(days=1)).audience[0].decisions == 20
    assert persist() == 0
    assert raw_count(svc.db) == 60
    assert reconcile.differences(svc.db, svc.redis, datetime.now(UTC).date(), svc.keys) == []
    assert jobs.persisted(svc.redis, svc.keys) == {"impression": 20, "view": 20, "click": 20}


def test_every_lua_script_runs_on_one_slot(cluster_overrides, cluster):
    """CHOOSE (decisions, dry runs), EMIT (beacons, refusals, spool replay), TAKE, CLAIM_STALE, TAKE_FOLD."""
    app = cluster_app(cluster_overrides, cluster, beacon_rate_limit=2)
    try:
        client, svc = app.test_client(), app.extensions["adserver"]
        served = [serve(client) for _ in range(6)]
        statuses = [client.post(path(d["tracking"]["view_url"]), headers=BROWSER).status_code for d in served]
        assert statuses.count(204) >= 2 and 429 in statuses  # the address's limit, counted on its shard
        no_redis_failure(svc)
        snapshot = svc.catalog.get()
        verdicts = svc.budget.verdicts(snapshot.campaigns)  # every campaign, one dry run per shard
        assert set(verdicts) == {c.id for c in snapshot.campaigns}
        assert len({svc.keys.shard(c.id) for c in snapshot.campaigns}) > 1
        d = serve(client)
        queued = jobs.waiting(svc.redis, svc.keys)
        decision_id, campaign_id = path(d["tracking"]["view_url"]).rsplit("/", 1)[1].split(",")[:2]
        (line,) = svc.redis.lrange(svc.keys.incoming(svc.keys.shard(campaign_id)), -1, -1)
        assert decision_id in line.decode()
        svc.events.spool.append(line.decode())  # as if its reply had been lost: replayed through EMIT
        assert svc.events.replay_spool() == 1
        assert jobs.waiting(svc.redis, svc.keys) == queued  # a duplicate of the queued impression
        assert jobs.claim_stale_batches(svc.redis, svc.keys) == []
        assert persist() == len(served) + 1 + statuses.count(204)
        refused = statuses.count(429)
        assert store.rate_limited_pending(svc.redis, svc.keys) == 0  # folded by the persist job
        assert rollup(svc.db, campaign=None)["rate_limited_views"] == refused
    finally:
        app.extensions["adserver"].close()


def test_keys_spread_over_the_three_masters(app_on_cluster, cluster):
    client, svc = app_on_cluster.test_client(), app_on_cluster.extensions["adserver"]
    for _ in range(10):
        d = serve(client)
        client.post(path(d["tracking"]["view_url"]), headers=BROWSER)
    with svc.db.session() as s:
        for c in s.query(storage.Campaign):
            svc.redis.incr(svc.keys.spend(c.id, "")[0], 0)  # what booking would create, for every campaign
    held = [sum(1 for _ in node.scan_iter(match="adserver:{s*")) for node in cluster.masters()]
    assert all(n > 0 for n in held), held
    masters_of_shards = {svc.redis.get_node_from_key(svc.keys.incoming(s)).port for s in svc.keys.all()}
    assert masters_of_shards == set(cluster.ports)


def test_a_budget_is_not_overshot_through_the_cluster(cluster_overrides, cluster):
    app = cluster_app(cluster_overrides, cluster)
    svc = app.extensions["adserver"]
    try:
        budget = 18.0  # 40 clicks
        with svc.db.session() as s:
            s.get(storage.Campaign, ZAHID).total_budget = budget
            svc.db.bump_catalog_version(s)
        svc.catalog.refresh(force=True)
        client = app.test_client()
        for _ in range(80):
            d = serve(client)
            client.get(path(d["tracking"]["click_url"]), headers=BROWSER)
        no_redis_failure(svc)
        persist()
        spent = rollup(svc.db, ZAHID)
        assert spent["spend"] <= budget + 1e-9
        assert spent["clicks"] == round(spent["spend"] / CLICK_PRICE)
        assert svc.budget.spend([svc.catalog.get().by_id[ZAHID]])[ZAHID][0] == round(spent["spend"] * 1_000_000)
    finally:
        svc.close()


def test_events_status_and_reconcile_add_up_the_shards(app_on_cluster, cluster_overrides):
    client = app_on_cluster.test_client()
    for _ in range(5):
        serve(client)
    env = {
        "DATABASE_URL": cluster_overrides["database_url"],
        "REDIS_URL": cluster_overrides["redis_url"],
        "REDIS_CLUSTER_NODES": cluster_overrides["redis_cluster_nodes"],
        "RQ_REDIS_URL": cluster_overrides["rq_redis_url"],
        "MODELS_DIR": cluster_overrides["models_dir"],
        "SECRET_KEY": cluster_overrides["secret_key"],
        "ENVIRONMENT": "test",
    }
    status = CliRunner().invoke(main, ["events", "status"], env=env, catch_exceptions=False)
    assert status.exit_code == 0 and re.search(r"events waiting in Redis +5\n", status.output), status.output
    assert CliRunner().invoke(main, ["events", "reconcile"], env=env).exit_code == 1  # queued, not yet in SQL
    persist()
    result = CliRunner().invoke(main, ["events", "reconcile"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_cluster_settings_are_checked_by_name():
    env = {"DATABASE_URL": "sqlite://", "REDIS_URL": "redis://x/0", "SECRET_KEY": "k", "ENVIRONMENT": "test"}
    with pytest.raises(SettingsError, match="REDIS_CLUSTER_NODES: 'node-2' is not host:port"):
        load_settings({"redis_cluster_nodes": "127.0.0.1:7000,node-2", "rq_redis_url": "redis://x/1"}, env=env)
    with pytest.raises(SettingsError, match="RQ_REDIS_URL is required with REDIS_CLUSTER_NODES"):
        load_settings({"redis_cluster_nodes": "127.0.0.1:7000"}, env=env)
    with pytest.raises(SettingsError, match="REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set"):
        load_settings(
            {
                "redis_cluster_nodes": "127.0.0.1:7000",
                "redis_sentinels": "127.0.0.1:26379",
                "rq_redis_url": "redis://x",
            },
            env=env,
        )
    settings = load_settings({"redis_cluster_nodes": "127.0.0.1:7000", "rq_redis_url": "redis://x/1"}, env=env)
    assert settings.key_shards == 16
    assert load_settings({}, env=env).key_shards == 1  # one server: one shard, the key names of old


def test_a_cluster_that_does_not_answer_is_one_line_naming_the_setting(settings_overrides):
    from adserver.infra.redis_server import free_port

    env = {
        "DATABASE_URL": settings_overrides["database_url"],
        "REDIS_CLUSTER_NODES": f"127.0.0.1:{free_port()}",
        "RQ_REDIS_URL": settings_overrides["redis_url"],
        "SECRET_KEY": settings_overrides["secret_key"],
        "ENVIRONMENT": "test",
    }
    result = CliRunner().invoke(main, ["events", "status"], env=env)
    assert result.exit_code == 3
    assert "is unreachable" in result.output and "set REDIS_CLUSTER_NODES" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_bad_report_tokens_are_counted_per_address_on_a_cluster(app_on_cluster):
    """The failed-token count is one key (one slot); past the limit the address's guesses get 429 while a
    live token from it (made before the limit was reached: web processes re-read them every few seconds)
    still gets in."""
    from adserver.api.auth import AUTH_FAILURES_PER_MINUTE
    from adserver.catalog import api_tokens

    client, svc = app_on_cluster.test_client(), app_on_cluster.extensions["adserver"]
    good = api_tokens.create(svc.db, "zahid-host")
    other = api_tokens.create(svc.db, "ledgerly")
    guess = good[: api_tokens.PREFIX_LENGTH] + "x" * 40

    def get(token):
        query = {"from": "2026-11-01", "to": "2026-11-30"}
        return client.get("/v1/reports", query_string=query, headers={"Authorization": f"Bearer {token}"}).status_code

    for _ in range(AUTH_FAILURES_PER_MINUTE):
        assert get(guess) == 401
    assert get(guess) == 429
    assert get(other) == 200  # another advertiser from this address still gets in


@pytest.fixture
def cluster_with_replicas():
    from tests.redis_topologies import start_cluster

    setup = start_cluster(replicas=1)
    yield setup
    setup.stop()


def test_after_a_master_fails_over_serving_goes_on_and_every_event_is_stored_once(
    settings_overrides, cluster_with_replicas, tmp_path
):
    cluster = cluster_with_replicas
    overrides = on_cluster(settings_overrides, cluster, tmp_path / "spool")
    app = cluster_app(overrides, cluster)
    svc, client = app.extensions["adserver"], app.test_client()

    def spooled() -> int:
        svc.events.spool.flush()
        return svc.events.spool.size()

    try:
        served = [serve(client) for _ in range(3)]
        spend_key = svc.keys.spend(ZAHID, "")[0]  # the shard every decision here books on
        old = svc.redis.get_node_from_key(spend_key).port
        cluster.kill(old)
        served += [serve(client) for _ in range(3)]  # its master gone: served from memory, spooled
        assert spooled() >= 3
        new = cluster.wait_until_served(spend_key)
        assert new != old
        deadline = time.monotonic() + 30
        reached = False
        while time.monotonic() < deadline and not reached:  # the next script asks where the slot is now
            before = spooled()
            served.append(serve(client))
            reached = spooled() == before
            time.sleep(0.2)
        assert reached, "the service never reached the promoted master"
        stored_once_after_a_failover(client, svc, served, unreplicated=3)
    finally:
        svc.close()
