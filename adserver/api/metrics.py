"""`/metrics` for Prometheus: this host's workers' instruments (`adserver.infra.metrics`) added up, and the
pipeline's state read from Redis at scrape time (queue depth, lag, events persisted by every worker)."""

from __future__ import annotations

import hmac
import os

import redis
from flask import Blueprint, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily
from rq import Queue
from rq.registry import FailedJobRegistry

from ..events import jobs
from ..model.artifacts import ModelHolder
from ..model.ranker import ModelRanker
from ..services import Services
from ..settings import RELAXED_ENVIRONMENTS
from . import services
from .errors import ApiError

bp = Blueprint("metrics", __name__)

# prometheus-client's own switch (it reads the variable when it is imported): set by gunicorn.conf.py.
MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


@bp.get("/metrics")
def metrics() -> Response:
    svc = services()
    allowed(svc.settings)
    registry = CollectorRegistry()
    if MULTIPROC_DIR:
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(_State(svc))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def allowed(settings) -> None:
    """METRICS_TOKEN set: scrapes need `Authorization: Bearer <it>`. Unset: open in development and
    tests, not found in production (the numbers show traffic and campaigns' budgets running out)."""
    token = settings.metrics_token
    if not token:
        if settings.environment in RELAXED_ENVIRONMENTS:
            return
        raise ApiError(404, "not_found", "metrics are off: set METRICS_TOKEN and scrape with it as a bearer token")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise ApiError(401, "unauthorized", "`Authorization: Bearer <METRICS_TOKEN>` is required")


class _ThisProcess:
    """One process (tests, `flask run`): its instruments as they are."""

    def collect(self):
        return REGISTRY.collect()


class _State:
    """Read at scrape time, so the request path pays nothing for them."""

    def __init__(self, svc: Services):
        self.svc = svc

    def collect(self):
        svc = self.svc
        yield GaugeMetricFamily(
            "adserver_catalog_version", "Catalog version this process serves", svc.catalog.get().version
        )
        yield InfoMetricFamily(
            "adserver_model",
            "Ranker and model version this process serves",
            {"ranker": svc.ranker.name, "version": model_version(svc.ranker)},
        )
        yield GaugeMetricFamily(
            "adserver_spooled_events", "Events spooled on this host's disk, waiting for Redis", svc.events.spool.size()
        )
        up = GaugeMetricFamily("adserver_redis_up", "Whether Redis answered this scrape")
        try:
            conn = svc.redis
            queue = Queue(svc.settings.queues[0], connection=svc.rq)
            waiting = jobs.waiting(conn, svc.keys)
            lag = jobs.lag_seconds(conn, svc.keys)
            jobs_queued, jobs_failed = len(queue), len(FailedJobRegistry(queue=queue))
            persisted = jobs.persisted(conn, svc.keys)
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("adserver_events_waiting", "Events in Redis waiting to be written to SQL", waiting)
        yield GaugeMetricFamily("adserver_events_lag_seconds", "Age of the oldest event waiting in Redis", lag)
        persist_jobs = GaugeMetricFamily("adserver_persist_jobs", "rq persist jobs, by state", labels=["state"])
        persist_jobs.add_metric(["queued"], jobs_queued)
        persist_jobs.add_metric(["failed"], jobs_failed)
        yield persist_jobs
        written = CounterMetricFamily(
            "adserver_events_persisted",
            "Events written to SQL by every worker (cluster-wide: do not sum over instances)",
            labels=["type"],
        )
        for event_type, n in sorted(persisted.items()):
            written.add_metric([event_type], n)
        yield written


def model_version(ranker) -> str:
    if isinstance(ranker, ModelRanker) and isinstance(ranker.models, ModelHolder):
        ranker.models.get()  # loads it in this worker if no decision has yet
        return ranker.models.version or ""
    return ""
