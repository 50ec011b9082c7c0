"""The key layout: one server's names as they always were; shards tagged, a campaign on one of them."""

from __future__ import annotations

import pytest
from redis.crc import key_slot

from adserver import services as services_module
from adserver.infra.keys import SINGLE, KeySpace
from adserver.settings import SettingsError


def test_one_server_keeps_the_untagged_names():
    assert SINGLE.incoming() == "adserver:events:incoming"
    assert SINGLE.spend("c", "2026-11-30") == ("adserver:spend:total:c", "adserver:spend:day:2026-11-30:c")
    assert SINGLE.none(0) == ""


def test_a_campaigns_keys_share_one_slot_in_shards():
    ks = KeySpace(16, tagged=True)
    shard = ks.shard("zahid-ai-side-projects")
    names = [
        *ks.spend("zahid-ai-side-projects", "2026-11-30"),
        ks.frequency_cap("zahid-ai-side-projects", "reader"),
        ks.incoming(shard),
        ks.counts("2026-11-30", shard),
        ks.seen("d1", "click", shard),
        ks.beacon_rate("addr", shard),
        ks.rate_limited(shard),
        ks.none(shard),
    ]
    assert len({key_slot(n.encode()) for n in names}) == 1
    assert ks.shard_of_key(ks.batch("job-1", shard)) == shard and ks.batch_name(ks.batch("job-1", shard)) == "job-1"


def test_a_process_with_another_shard_count_than_the_deployments_is_refused(settings_overrides, services):
    services.redis.delete("adserver:keys:layout")
    services_module.build(settings_overrides).close()  # the first records one shard
    with pytest.raises(SettingsError, match="REDIS_SHARDS: this Redis's keys are laid out in 1 shards"):
        services_module.build(settings_overrides | {"redis_shards": 4})
    services.redis.delete("adserver:keys:layout")
