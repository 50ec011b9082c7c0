"""The long-lived things one process owns (settings, SQL, Redis, catalog, ranker, tracker).

The app factory, the CLI and the benchmarks build one `Services` and pass it down.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis
from redis.cluster import RedisCluster

from .audience import geo
from .catalog.api_tokens import LiveTokens
from .catalog.store import CatalogHolder
from .events.heartbeat import Heartbeat
from .events.pacing import RedisBudget
from .events.sink import EventSink
from .events.spool import Spool
from .events.tracking import Tracker
from .forecast.store import WindowCache
from .forecast.tally import ReachTally
from .infra import redis_client
from .infra.keys import SINGLE, KeySpace
from .infra.poller import Stoppable
from .infra.storage import Database
from .serving.budget import BudgetGate, Unlimited
from .serving.matching import DeclaredTopics, Matcher
from .serving.ranking import OverlapRanker, Ranker
from .settings import Settings, load_settings


@dataclass
class Services:
    settings: Settings
    db: Database
    redis: redis.Redis | RedisCluster
    catalog: CatalogHolder
    tracker: Tracker
    events: EventSink
    ranker: Ranker = field(default_factory=OverlapRanker)
    budget: BudgetGate = field(default_factory=Unlimited)
    matcher: Matcher = field(default_factory=DeclaredTopics)  # what each article is about
    heartbeat: Heartbeat | None = None  # web processes: this host's spool depth, beaten into Redis
    background: tuple[Stoppable, ...] = ()  # what refreshes itself in a thread (catalog, model, click counts)
    countries: geo.Countries = field(default_factory=geo.RegistryCountries)  # an address -> its country
    keys: KeySpace = SINGLE  # how the keys are laid out over the shards
    rq: redis.Redis | None = None  # rq's queues: a plain Redis (None: `redis`)
    live_tokens: LiveTokens | None = None  # the unrevoked API tokens' hashes (None: read from `db`)
    reach: ReachTally | None = None  # web processes: every decision counted for the reach forecast
    forecast_window: WindowCache | None = None  # the recorded decisions a forecast reads (None: read from `db`)

    def __post_init__(self):
        if self.rq is None:
            self.rq = self.redis
        if self.live_tokens is None:
            self.live_tokens = LiveTokens(self.db)
        if self.forecast_window is None:
            self.forecast_window = WindowCache(self.db)

    @classmethod
    def from_settings(cls, settings: Settings, ranking: bool = True) -> Services:
        """`ranking=False` for processes that never rank (the rq worker): no model, no scikit-learn import."""
        db = Database(settings.database_url)
        client = redis_client.from_settings(settings)
        rq = redis_client.for_rq(settings, client)
        key_space = redis_client.key_space(settings)
        redis_client.check_layout(client, key_space)
        catalog = CatalogHolder(db, settings.catalog_poll_seconds)
        sink = EventSink(
            client,
            Spool(settings.spool_path),
            settings.queues[0],
            batch_size=settings.event_batch_size,
            seen_ttl=max(settings.view_url_ttl, settings.click_url_ttl),
            rate_limit=settings.beacon_rate_limit,
            campaign_of=lambda campaign_id: catalog.get().by_id.get(campaign_id),
            key_space=key_space,
            rq=rq,
        )
        ranker, polled = _serving_ranker(settings, db) if ranking else (OverlapRanker(), ())
        return cls(
            # The gate books the winner and queues its impression in one round trip, so it holds the sink.
            budget=RedisBudget(
                client,
                sink=sink,
                salt=settings.secret_key,
                impression_rate_limit=settings.impression_rate_limit,
                replay_window=settings.impression_replay_window,
                key_space=key_space,
            ),
            settings=settings,
            db=db,
            redis=client,
            catalog=catalog,
            tracker=Tracker(settings.secret_key, settings.view_url_ttl, settings.click_url_ttl),
            ranker=ranker,
            matcher=_serving_matcher(ranker) if ranking else DeclaredTopics(),
            events=sink,
            background=(catalog, *polled),
            countries=geo.address_lookup(settings.geoip_db),
            keys=key_space,
            rq=rq,
            reach=ReachTally(client) if ranking and settings.reach_counting else None,
        )

    def close(self) -> None:
        if self.reach is not None:
            self.reach.flush()
        for part in self.background:
            part.stop()
        self.countries.close()
        if self.heartbeat is not None:
            self.heartbeat.stop()
        self.db.dispose()
        self.redis.close()
        if self.rq is not self.redis:
            self.rq.close()


def _serving_ranker(settings: Settings, db: Database) -> tuple[Ranker, tuple[Stoppable, ...]]:
    from .model.service import serving_ranker  # scikit-learn and numpy: only where decisions are made

    return serving_ranker(settings, db)


def _serving_matcher(ranker: Ranker) -> Matcher:
    from .model.service import serving_matcher  # the encoder: only where decisions are made

    return serving_matcher(ranker)


def build(overrides: dict | None = None, ranking: bool = True) -> Services:
    return Services.from_settings(load_settings(overrides), ranking)
