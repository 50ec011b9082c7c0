"""The long-lived things one process owns (settings, SQL, Redis, catalog, ranker, tracker).

The app factory, the CLI and the benchmarks build one `Services` and pass it down.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis

from .budget import BudgetGate, Unlimited
from .catalog import CatalogHolder
from .events import EventSink
from .ranking import OverlapRanker, Ranker
from .settings import Settings, load_settings
from .storage import Database
from .tracking import Tracker


def redis_client(url: str) -> redis.Redis:
    # Short timeouts: a slow or dead Redis must not stall the decision path.
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=30)


def event_sink(settings: Settings, client: redis.Redis) -> EventSink:
    return EventSink(
        client,
        settings.spool_path,
        batch_size=settings.events_batch_size,
        flush_seconds=settings.events_flush_seconds,
        dedupe_ttl=settings.click_url_ttl + 3600,
        stale_seconds=settings.events_stale_seconds,
    )


@dataclass
class Services:
    settings: Settings
    db: Database
    redis: redis.Redis
    catalog: CatalogHolder
    tracker: Tracker
    ranker: Ranker = field(default_factory=OverlapRanker)
    budget: BudgetGate = field(default_factory=Unlimited)
    events: EventSink | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        db = Database(settings.database_url)
        client = redis_client(settings.redis_url)
        return cls(
            settings=settings,
            db=db,
            redis=client,
            catalog=CatalogHolder(db, settings.catalog_poll_seconds),
            tracker=Tracker(settings.secret_key, settings.view_url_ttl, settings.click_url_ttl),
            events=event_sink(settings, client),
        )

    def close(self) -> None:
        if self.events is not None:
            self.events.stop()
        self.catalog.stop()
        self.db.dispose()
        self.redis.close()


def build(overrides: dict | None = None) -> Services:
    return Services.from_settings(load_settings(overrides))
