"""Counting decisions for the reach forecast, on the decision path: a dictionary increment per decision in this
process, sent to Redis at most once per `interval` in one pipeline (HSETNX for articles not sent yet, HINCRBY per
distinct key), so a decision pays about a microsecond and Redis one round trip a second per process.

Every billable decision counts, whoever won or when nothing served: the hour, site, placement, the reader's
country and device, the article's counted topic and its reading's id. No reader id, no address. Up to
`interval` of counts die with a killed process: a forecast can spare them, a decision cannot spare a round trip.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import orjson
import redis

from ..infra.keys import REACH, REACH_ARTICLES
from ..serving.plans import Plan
from .articles import Reading

log = logging.getLogger(__name__)

MAX_HELD = 200_000  # distinct keys held while Redis is away; past it what is held is dropped (and logged)


class ReachTally:
    """One process's counts of its decisions, sent to Redis a pipeline at a time (`Services.reach`)."""

    def __init__(self, conn: redis.Redis, interval: float = 1.0, clock: Callable[[], float] = time.time):
        self.conn = conn
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._counts: dict[tuple, int] = {}
        self._new: dict[str, bytes] = {}  # article id -> reading, not sent yet
        self._sent: set[str] = set()  # article ids sent on `_sent_day` (sent again each day: `seen_on`)
        self._sent_day = -1
        self._due = clock() + interval

    def count(self, plan: Plan, site: str, device: str, country: str, at: float | None = None) -> None:
        """One decision on `plan`'s article; sends what was counted when the interval is over."""
        at = self.clock() if at is None else at
        hour = int(at // 3600)
        article, reading = plan.reach(_read)
        key = (hour, site, plan.ctx.placement, country, device, plan.counted_topic, article)
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1
            if hour // 24 != self._sent_day:
                self._sent, self._sent_day = set(), hour // 24
            if article not in self._sent:
                self._sent.add(article)
                self._new[article] = reading
            if at < self._due:
                return
            self._due = at + self.interval
            counts, self._counts = self._counts, {}
            new, self._new = self._new, {}
        self._send(counts, new)

    def flush(self) -> None:
        """Send what is counted now (tests, benchmarks, a process's end)."""
        with self._lock:
            counts, self._counts = self._counts, {}
            new, self._new = self._new, {}
        self._send(counts, new)

    def _send(self, counts: dict[tuple, int], new: dict[str, bytes]) -> None:
        if not counts and not new:
            return
        pipe = self.conn.pipeline(transaction=False)  # one slot: every key is {reach}'s
        for article, reading in new.items():  # the readings first: a fold between the two finds them in SQL
            pipe.hsetnx(REACH_ARTICLES, article, reading)
        for key, n in counts.items():
            pipe.hincrby(REACH, orjson.dumps(key), n)
        try:
            pipe.execute()
        except redis.RedisError as e:
            log.warning("reach counts kept for later, Redis refused them: %s", e)
            self._keep(counts, new)

    def _keep(self, counts: dict[tuple, int], new: dict[str, bytes]) -> None:
        with self._lock:
            for key, n in counts.items():
                self._counts[key] = self._counts.get(key, 0) + n
            self._new.update(new)
            if len(self._counts) > MAX_HELD:
                log.warning("reach counts dropped: %d keys held while Redis is away", len(self._counts))
                self._counts.clear()


def _read(plan: Plan) -> tuple[str, bytes]:
    """The article's id and reading, once per plan (per article and day: they ride on the plan)."""
    return Reading.of(plan.ctx, plan.counted_topic).encoded()
