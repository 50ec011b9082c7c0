"""Budgets and pacing in Redis: the decision path's `BudgetGate` for real campaigns.

Spend is kept in integer micro-units per campaign, in total and per UTC day. A CPM impression is
booked at decision time by one Lua script that checks both budgets and increments both counters
atomically, so concurrent web processes can never push a campaign past its budget with
impressions. A CPC campaign is checked at decision time and booked when the click arrives, by the
script that counts the click once (`lua.EMIT`): a click that would pass a budget is recorded as
not billable ('over_budget'), so billed spend never passes a budget either.

The decision path calls `choose(ranked contenders)`: the CHOOSE script skips campaigns over budget,
held back by pacing or capped for the reader, and books the first one that may win. `DryRun` and
`verdicts` (`adserver decide`, `adserver spend`) run the same script without writing. Even pacing
spreads the daily budget over the UTC day (a campaign with a `targeting.schedule`: over its scheduled
time in that day, `Schedule.day_share`): a campaign whose spent share of today's budget runs
ahead of the elapsed share of the day is skipped with a probability that grows with the lead.
`asap` spends as fast as traffic allows.

If Redis is unreachable the gate fails open (decisions keep being served, with a warning): a
closed gate would blank every sponsored slot. The impressions served meanwhile are spooled and
booked when they are replayed, against the same budgets (`EventSink.replay_spool`): an outage may
serve past a budget, but what passes it is kept as not billable, never billed.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import redis

from ..infra import metrics, redis_client
from ..infra.keys import SINGLE, KeySpace
from ..infra.lua import CHOOSE, LuaScript
from ..infra.outage import OutageLog
from ..serving.budget import MICROS, Choice, serving_limits
from ..serving.snapshot import Campaign
from .event import RATE_LIMITED, Event, counts_field

if TYPE_CHECKING:
    from .sink import EventSink

log = logging.getLogger(__name__)
UNAVAILABLE = "budget counters unavailable (%s): serving without budget checks"

PACING_SLACK = 0.02  # spend may lead the clock by 2% of the daily budget before throttling
PACING_RAMP = 0.10  # at a 12% lead the campaign is always skipped

# One contender per round trip: a call can only ever book the contender the caller serves if the reply
# is lost (Redis dying between running the script and answering), so the fail-open fallback never serves
# one card while Redis recorded another's impression. A refused contender costs a further round trip (a
# campaign out of budget is then skipped locally for a while); after MAX_CALLS refusals the slot stays
# empty rather than the reader waiting.
MAX_CALLS = 6
SPENT_HINT_SECONDS = 30.0  # a campaign found out of budget is skipped locally this long


def _stored(event: Event | None) -> tuple[str, str, str, str]:
    """(json, counts field) of the impression as stored, then of the same impression past the address's rate:
    answered, not billed (`RATE_LIMITED`, unless it was unbilled already), nothing booked."""
    if event is None:
        return "", "", "", ""
    stored, field = event.to_json(), counts_field(event)
    if not event.billable:
        return stored, field, stored, field
    return stored, field, event.to_json(billable=False, reason=RATE_LIMITED, cost=0.0), counts_field(event, False)


class RedisBudget:
    def __init__(
        self,
        client: redis.Redis,
        now: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
        sink: EventSink | None = None,
        salt: str = "",
        impression_rate_limit: int = 300,
        rate_window: int = 60,
        replay_window: int = 3600,
        key_space: KeySpace = SINGLE,
    ):
        self.redis = client
        self.keys = key_space
        self.now = now or (lambda: datetime.now(UTC))
        self.rng = rng or random.Random()
        self.sink = sink
        self.salt = salt
        self.impression_rate_limit = impression_rate_limit  # per client address (hashed), window and shard
        self.rate_window = rate_window
        self.replay_window = replay_window  # how long a queued impression's replay is known as a duplicate
        self._choose = LuaScript(client, CHOOSE)  # on every decision
        self.outage = OutageLog(log)  # while Redis is away: one warning per interval, not one per call
        self._spent_hints: dict[str, tuple[str, str, float]] = {}  # campaign id -> (day, reason, until)
        self.unavailable = 0  # decisions served without budget checks because Redis did not answer

    def day(self) -> tuple[str, float]:
        """(today as YYYY-MM-DD, the share of the UTC day gone)."""
        now = self.now()
        elapsed = (now.hour * 3600 + now.minute * 60 + now.second) / 86400
        return now.date().isoformat(), elapsed

    def day_share(self, c: Campaign, elapsed: float) -> float:
        """The share of the day even pacing measures spend against: of its scheduled time, if it has one."""
        schedule = c.targeting.schedule
        return elapsed if schedule is None else schedule.day_share(self.now())

    def spend(self, campaigns: Sequence[Campaign]) -> dict[str, tuple[int, int]]:
        """campaign id -> (total micros, today's micros), one round trip."""
        day, _ = self.day()
        ks = [k for c in campaigns for k in self.keys.spend(c.id, day)]
        values = redis_client.mget(self.redis, ks) if ks else []
        return {c.id: (int(values[2 * i] or 0), int(values[2 * i + 1] or 0)) for i, c in enumerate(campaigns)}

    def verdicts(self, campaigns: Sequence[Campaign], reader: str = "", pacing: bool = True) -> dict[str, str]:
        """campaign id -> why it could not win now ('' if it could), by the serving rule, booking nothing.
        Without `pacing` no pacing draw is made (a campaign ahead of the clock is not refused)."""
        if not campaigns:
            return {}
        day, elapsed = self.day()
        by_clock: dict[tuple[float, int], list[Campaign]] = {}  # a call takes one elapsed share, one shard
        for c in campaigns:
            by_clock.setdefault((self.day_share(c, elapsed), self.keys.shard(c.id)), []).append(c)
        out: dict[str, str] = {}
        for (share, _), part in by_clock.items():
            _, _, reasons = self._call(part, None, reader, day, share, dry=True, pacing=pacing)
            out.update(zip((c.id for c in part), reasons, strict=True))
        return {c.id: out[c.id] for c in campaigns}

    def cap_key(self, campaign_id: str, reader: str) -> str:
        # The publisher's reader id is hashed before it reaches Redis, and lives there only for the window.
        digest = hashlib.sha256(f"{self.salt}:{reader}".encode()).hexdigest()[:24]
        return self.keys.frequency_cap(campaign_id, digest)

    def choose(
        self,
        campaigns: Sequence[Campaign],
        impression: Callable[[int], Event] | None = None,
        reader: str = "",
        dry: bool = False,
    ) -> Choice:
        """The first contender that may win, booked; with `impression` (contender index -> its impression
        event) the winner's event is queued by the same EVALSHA. One contender per call (see MAX_CALLS):
        a decision costs one round trip unless its best contender is refused. `dry`: book nothing."""
        if not campaigns:
            return Choice(None, {}, False)
        day, elapsed = self.day()
        refused: dict[str, str] = {}
        # Campaigns this process recently found out of budget are skipped without asking Redis again.
        now = time.monotonic()
        hints = self._spent_hints
        order = []
        for i, c in enumerate(campaigns):
            hint = hints.get(c.id)
            if hint is not None and hint[0] == day and hint[2] > now:
                refused[c.id] = hint[1]
            else:
                order.append(i)
        for i in order[:MAX_CALLS]:
            c = campaigns[i]
            events = [impression(i)] if impression is not None and not dry else None
            try:
                winner, length, reasons = self._call([c], events, reader, day, self.day_share(c, elapsed), dry)
            except redis.RedisError as e:
                self.unavailable += 1
                self.outage.warning("budget", UNAVAILABLE, type(e).__name__)
                recorded = False
                if events is not None and self.sink is not None:
                    self.sink.spool_event(events[0])  # fail open: the one sent is served, its event is kept
                    recorded = True
                return Choice(i, refused, recorded)
            if dry and reasons == [""]:
                winner = 0
            if winner is not None:
                if events is not None and self.sink is not None:
                    self.sink.pushed(length)
                    metrics.labelled(metrics.EVENTS, "impression", "emitted").inc()
                return Choice(i, refused, events is not None)
            refused[c.id] = why = reasons[0]
            if why.endswith("budget spent"):
                hints[c.id] = (day, why, now + SPENT_HINT_SECONDS)
        return Choice(None, refused, False)

    def _call(
        self, part, events, reader: str, day: str, elapsed: float, dry: bool = False, pacing: bool = True
    ) -> tuple[int | None, int, list[str]]:
        ks_ = self.keys
        shard = ks_.shard(part[0].id)  # every contender of one call is on one shard
        none = ks_.none(shard)
        address = events[0].ip_hash if events else ""
        rate_key = ks_.impression_rate(address, shard) if address else none
        ks = [ks_.incoming(shard), ks_.counts(events[0].day if events else day, shard), rate_key]
        args: list = [
            elapsed,
            PACING_SLACK,
            PACING_RAMP,
            self.impression_rate_limit,
            self.rate_window,
            self.replay_window,
            "1" if dry else "0",
        ]
        for i, c in enumerate(part):
            budgeted = c.total_budget is not None or c.daily_budget is not None
            capped = bool(c.frequency_cap and reader)
            event = events[i] if events is not None else None
            seen = ks_.seen(event.decision_id, event.event_type, shard) if event else none
            ks += [*ks_.spend(c.id, day), self.cap_key(c.id, reader) if capped else none, seen]
            args += [
                # An impression stored as not billed (a bot's, an unknown page's) books nothing either.
                int(round(c.price * MICROS / 1000))
                if c.pricing_model == "cpm" and budgeted and not c.house and (event is None or event.billable)
                else 0,
                *serving_limits(c),
                self.rng.random() if pacing and c.pacing == "even" and c.daily_budget else -1,
                c.frequency_cap or 0,
                c.frequency_hours * 3600,
                *_stored(event),
            ]
        winner, length, *reasons = self._choose(keys=ks, args=[*args, none])
        return (int(winner) - 1 if winner else None), int(length), [r.decode() for r in reasons]


class DryRun:
    """The Redis gate's choice without booking, capping or queueing anything (`adserver decide`)."""

    def __init__(self, gate: RedisBudget):
        self.gate = gate

    def choose(
        self, campaigns: Sequence[Campaign], impression: Callable[[int], Event] | None = None, reader: str = ""
    ) -> Choice:
        return self.gate.choose(campaigns, None, reader, dry=True)
