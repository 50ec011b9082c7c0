"""The long-lived things one process owns (settings, SQL, Redis, catalog, ranker, tracker).

The app factory, the CLI and the benchmarks build one `Services` and pass it down.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis

from .budget import BudgetGate, Unlimited
from .catalog import CatalogHolder
from .model.service import serving_ranker
from .ranking import OverlapRanker, Ranker
from .settings import Settings, load_settings
from .storage import Database
from .tracking import Tracker


def redis_client(url: str) -> redis.Redis:
    # Short timeouts: a slow or dead Redis must not stall the decision path.
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=30)


@dataclass
class Services:
    settings: Settings
    db: Database
    redis: redis.Redis
    catalog: CatalogHolder
    tracker: Tracker
    ranker: Ranker = field(default_factory=OverlapRanker)
    budget: BudgetGate = field(default_factory=Unlimited)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        db = Database(settings.database_url)
        return cls(
            settings=settings,
            db=db,
            redis=redis_client(settings.redis_url),
            catalog=CatalogHolder(db, settings.catalog_poll_seconds),
            tracker=Tracker(settings.secret_key, settings.view_url_ttl, settings.click_url_ttl),
            ranker=serving_ranker(settings, db),
        )

    def close(self) -> None:
        self.catalog.stop()
        for part in (getattr(self.ranker, "models", None), getattr(self.ranker, "click_stats", None)):
            if hasattr(part, "stop"):
                part.stop()
        self.db.dispose()
        self.redis.close()


def build(overrides: dict | None = None) -> Services:
    return Services.from_settings(load_settings(overrides))
