"""The one place Redis clients are built from settings (web, worker, rq, CLI): a single server
(`REDIS_URL`) or the master a set of Sentinels names (`REDIS_SENTINELS`, `REDIS_SENTINEL_SERVICE`).

Short timeouts: a slow or dead Redis must not stall the decision path. And never an automatic retry
(said explicitly: `redis.Redis()` itself defaults to ten): our scripts book spend, count caps and queue
events, so a second run of one whose reply was merely slow would count twice. A failed call fails open
or spools instead, once. Behind Sentinel a failover is such a failure: the next connection asks the
Sentinels for the new master.
"""

from __future__ import annotations

from urllib.parse import unquote, urlparse

import redis
from redis.sentinel import Sentinel

from .lua import NO_RETRY
from .settings import Settings, host_port

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


def from_settings(settings: Settings) -> redis.Redis:
    """The client every process of this deployment uses; behind Sentinel, its database number and
    password come from REDIS_URL's path and password (its host is not used)."""
    if not settings.redis_sentinels:
        return from_url(settings.redis_url)
    url = urlparse(settings.redis_url)
    password = unquote(url.password) if url.password else None
    sentinel = Sentinel(
        [host_port(entry) for entry in settings.redis_sentinels],
        sentinel_kwargs={"socket_timeout": TIMEOUT, "socket_connect_timeout": TIMEOUT},
    )
    db = int(url.path.lstrip("/") or 0)
    return sentinel.master_for(settings.redis_sentinel_service, db=db, password=password, **_options())


def describe(settings: Settings) -> str:
    """Where this deployment's Redis is, for messages (no password)."""
    if settings.redis_sentinels:
        return f"Sentinel service {settings.redis_sentinel_service!r} at {', '.join(settings.redis_sentinels)}"
    url = urlparse(settings.redis_url)
    return url._replace(netloc=url.netloc.rpartition("@")[2]).geturl()
