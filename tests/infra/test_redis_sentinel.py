"""Redis behind Sentinel: real master, replica and Sentinel processes; serving and counting survive a failover."""

from __future__ import annotations

import time

import pytest
import redis as redis_lib

from adserver import create_app
from adserver.events import jobs
from adserver.infra import keys
from adserver.settings import SettingsError, load_settings
from tests.builders import BROWSER, path, raw_count, serve, stored_once_after_a_failover
from tests.conftest import EXAMPLE_CATALOG, _reset
from tests.redis_topologies import SERVICE, start_sentinel_setup, wait_for_failover

pytestmark = pytest.mark.slow


@pytest.fixture
def sentinel():
    setup = start_sentinel_setup()
    yield setup
    setup.stop()


@pytest.fixture
def sentinel_app(settings_overrides, sentinel):
    from adserver.catalog.files import import_catalog, read_file

    app = create_app(settings_overrides | {"redis_sentinels": sentinel.addresses, "redis_sentinel_service": SERVICE})
    svc = app.extensions["adserver"]
    _reset(svc.db)
    import_catalog(svc.db, read_file(EXAMPLE_CATALOG))
    svc.catalog.refresh(force=True)
    jobs.use(svc)
    yield app
    svc.close()


def persist() -> int:
    return jobs.persist_pending(batch="test")


def test_decisions_and_beacons_are_counted_through_the_master_sentinel_names(sentinel_app, sentinel):
    client = sentinel_app.test_client()
    d = serve(client)
    assert client.post(path(d["tracking"]["view_url"]), headers=BROWSER).status_code == 204
    assert client.get(path(d["tracking"]["click_url"]), headers=BROWSER).status_code == 302
    assert redis_lib.Redis(port=sentinel.master.port).llen(keys.INCOMING) == 3  # on the master itself
    assert persist() == 3
    assert raw_count(sentinel_app.extensions["adserver"].db) == 3


def test_after_a_failover_serving_goes_on_and_every_event_is_stored_once(sentinel_app, sentinel):
    client = sentinel_app.test_client()
    svc = sentinel_app.extensions["adserver"]
    served = [serve(client) for _ in range(3)]
    old = sentinel.master.port
    sentinel.master.stop()  # the master dies; the replica holds what it had
    served += [serve(client) for _ in range(3)]  # Redis unreachable: served from memory, spooled
    new = wait_for_failover(sentinel, old)
    assert new == sentinel.replica.port
    promoted = redis_lib.Redis(port=new)
    before = promoted.llen(keys.INCOMING)  # what replication carried over from the old master
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the service's next connection finds the new master
        served.append(serve(client))
        if promoted.llen(keys.INCOMING) > before:
            break
        time.sleep(0.2)
    assert promoted.llen(keys.INCOMING) > before, "the service never reached the promoted master"
    stored_once_after_a_failover(client, svc, served, unreplicated=3)


def test_a_sentinel_address_that_is_not_host_port_is_refused_by_name():
    with pytest.raises(SettingsError, match="REDIS_SENTINELS: 'sentinel-1' is not host:port"):
        load_settings(
            {"redis_sentinels": "127.0.0.1:26379,sentinel-1", "environment": "test"},
            env={"DATABASE_URL": "sqlite://", "REDIS_URL": "redis://x/0", "SECRET_KEY": "k"},
        )
