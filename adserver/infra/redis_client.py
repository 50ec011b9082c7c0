"""The one place Redis clients are built from settings (web, worker, rq, CLI): a single server
(`REDIS_URL`), the master a set of Sentinels names (`REDIS_SENTINELS`, `REDIS_SENTINEL_SERVICE`), or a
Redis Cluster (`REDIS_CLUSTER_NODES`, its keys laid out in shards by `keys.KeySpace`). rq's queues live in
the service's Redis, or in `RQ_REDIS_URL` (required with a cluster: rq's multi-key commands need one server).

Short timeouts: a slow or dead Redis must not stall the decision path. And never an automatic retry
(said explicitly: `redis.Redis()` itself defaults to ten): our scripts book spend, count caps and queue
events, so a second run of one whose reply was merely slow would count twice. A failed call fails open
or spools instead, once. Behind Sentinel a failover is such a failure: the next connection asks the
Sentinels for the new master.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import unquote, urlparse

import redis
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import RedisClusterException
from redis.sentinel import Sentinel

from ..settings import Settings, SettingsError, host_port
from .keys import LAYOUT, KeySpace
from .lua import NO_RETRY

TIMEOUT = 0.5  # seconds, to connect and for each reply


def _options() -> dict:
    return dict(
        socket_timeout=TIMEOUT,
        socket_connect_timeout=TIMEOUT,
        health_check_interval=30,
        retry=NO_RETRY,
    )


def from_url(url: str) -> redis.Redis:
    """A client of the single server at `url`."""
    return redis.Redis.from_url(url, **_options())


def from_settings(settings: Settings) -> redis.Redis | RedisCluster:
    """The client every process of this deployment uses; behind Sentinel, its database number and
    password come from REDIS_URL's path and password (its host is not used); a cluster takes the password."""
    url = urlparse(settings.redis_url)
    password = unquote(url.password) if url.password else None
    if settings.redis_cluster_nodes:
        nodes = [ClusterNode(*host_port(entry)) for entry in settings.redis_cluster_nodes]
        try:  # redis-py reads the cluster's slot map here: a cluster down now is an outage to the caller
            return RedisCluster(startup_nodes=nodes, password=password, **_options())
        except RedisClusterException as e:
            raise redis.ConnectionError(str(e)) from e
    if not settings.redis_sentinels:
        return from_url(settings.redis_url)
    sentinel = Sentinel(
        [host_port(entry) for entry in settings.redis_sentinels],
        sentinel_kwargs={"socket_timeout": TIMEOUT, "socket_connect_timeout": TIMEOUT},
    )
    db = int(url.path.lstrip("/") or 0)
    return sentinel.master_for(settings.redis_sentinel_service, db=db, password=password, **_options())


def for_rq(settings: Settings, client: redis.Redis | RedisCluster) -> redis.Redis:
    """The client of rq's queues: RQ_REDIS_URL's server, else the service's own `client`."""
    return from_url(settings.rq_redis_url) if settings.rq_redis_url else client


def key_space(settings: Settings) -> KeySpace:
    """How this deployment lays its keys out: untagged on one server with one shard, else tagged shards."""
    shards = settings.key_shards
    return KeySpace(shards, tagged=bool(settings.redis_cluster_nodes) or shards > 1)


def check_layout(client: redis.Redis | RedisCluster, ks: KeySpace) -> None:
    """Refuse to run with a key layout other than the one this Redis's keys were written in: a campaign's
    spend would be looked for on another shard and start again at 0. The first process records it. Not
    checked while Redis does not answer (the next start checks)."""
    try:
        client.set(LAYOUT, ks.name, nx=True)
        found = client.get(LAYOUT)
    except redis.RedisError:
        return
    if found is not None and found.decode() != ks.name:
        raise SettingsError(
            f"setting REDIS_SHARDS: this Redis's keys are laid out in {found.decode()}, this process uses "
            f"{ks.name}; set REDIS_SHARDS as every other process has it (changing it loses campaigns' spend "
            f"counters: if you mean to, delete the key {LAYOUT} first)"
        )


def mget(client: redis.Redis | RedisCluster, names: Sequence[str]) -> list:
    """GET of several keys in one call per server (in a cluster they may live on several)."""
    if isinstance(client, RedisCluster):
        return client.mget_nonatomic(names)
    return client.mget(names)


def setting(settings: Settings) -> str:
    """The setting that says where this deployment's Redis is (for messages)."""
    if settings.redis_cluster_nodes:
        return "REDIS_CLUSTER_NODES"
    return "REDIS_SENTINELS" if settings.redis_sentinels else "REDIS_URL"


def describe(settings: Settings) -> str:
    """Where this deployment's Redis is, for messages (no password)."""
    if settings.redis_cluster_nodes:
        return f"cluster nodes {', '.join(settings.redis_cluster_nodes)}"
    if settings.redis_sentinels:
        return f"Sentinel service {settings.redis_sentinel_service!r} at {', '.join(settings.redis_sentinels)}"
    url = urlparse(settings.redis_url)
    return url._replace(netloc=url.netloc.rpartition("@")[2]).geturl()
