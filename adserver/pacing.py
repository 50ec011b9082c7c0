"""Budgets and pacing in Redis: the decision path's `BudgetGate` for real campaigns.

Spend is kept in integer micro-units per campaign, in total and per UTC day. A CPM impression is
booked at decision time by one Lua script that checks both budgets and increments both counters
atomically, so concurrent web processes can never push a campaign past its budget with
impressions. A CPC campaign is checked at decision time and booked when the click arrives
(`book_click`), so its overshoot is bounded by clicks on cards already served.

Even pacing spreads the daily budget over the UTC day: a campaign whose spent share of today's
budget runs ahead of the elapsed share of the day is skipped with a probability that grows with
the lead. `asap` spends as fast as traffic allows.

If Redis is unreachable the gate fails open (decisions keep being served, with a warning): a
short outage risks a small overspend, a closed gate would blank every sponsored slot.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import redis

from .catalog import Campaign

log = logging.getLogger(__name__)

MICROS = 1_000_000
PACING_SLACK = 0.02  # spend may lead the clock by 2% of the daily budget before throttling
PACING_RAMP = 0.10  # at a 12% lead the campaign is always skipped

CHARGE = """
local total = tonumber(redis.call('GET', KEYS[1]) or '0')
local day = tonumber(redis.call('GET', KEYS[2]) or '0')
local cost = tonumber(ARGV[1])
if tonumber(ARGV[2]) >= 0 and total + cost > tonumber(ARGV[2]) then return 0 end
if tonumber(ARGV[3]) >= 0 and day + cost > tonumber(ARGV[3]) then return 0 end
redis.call('INCRBY', KEYS[1], cost)
redis.call('INCRBY', KEYS[2], cost)
redis.call('EXPIRE', KEYS[2], 259200)
return 1
"""


def _micros(amount: float | None) -> int:
    return -1 if amount is None else int(round(amount * MICROS))


def keys(campaign_id: str, day: str) -> tuple[str, str]:
    return f"adserver:spend:total:{campaign_id}", f"adserver:spend:day:{day}:{campaign_id}"


class RedisBudget:
    def __init__(
        self, client: redis.Redis, now: Callable[[], datetime] | None = None, rng: random.Random | None = None
    ):
        self.redis = client
        self.now = now or (lambda: datetime.now(UTC))
        self.rng = rng or random.Random()
        self._charge = client.register_script(CHARGE)

    def _day(self) -> tuple[str, float]:
        now = self.now()
        elapsed = (now.hour * 3600 + now.minute * 60 + now.second) / 86400
        return now.date().isoformat(), elapsed

    def spend(self, campaigns: Sequence[Campaign]) -> dict[str, tuple[int, int]]:
        """campaign id -> (total micros, today's micros), one round trip."""
        day, _ = self._day()
        ks = [k for c in campaigns for k in keys(c.id, day)]
        values = self.redis.mget(ks) if ks else []
        return {c.id: (int(values[2 * i] or 0), int(values[2 * i + 1] or 0)) for i, c in enumerate(campaigns)}

    def exhausted(self, campaigns: Sequence[Campaign]) -> dict[str, str]:
        budgeted = [c for c in campaigns if c.total_budget is not None or c.daily_budget is not None]
        if not budgeted:
            return {}
        try:
            spent = self.spend(budgeted)
        except redis.RedisError as e:
            log.warning("budget counters unavailable (%s): serving without budget checks", type(e).__name__)
            return {}
        _, elapsed = self._day()
        out = {}
        for c in budgeted:
            total, today = spent[c.id]
            if c.total_budget is not None and total >= _micros(c.total_budget):
                out[c.id] = "total budget spent"
            elif c.daily_budget is not None and today >= _micros(c.daily_budget):
                out[c.id] = "daily budget spent"
            elif c.pacing == "even" and c.daily_budget:
                lead = today / _micros(c.daily_budget) - elapsed
                if lead > PACING_SLACK and self.rng.random() < min(1.0, (lead - PACING_SLACK) / PACING_RAMP):
                    out[c.id] = f"pacing: {lead:.0%} ahead of the day"
        return out

    def charge(self, campaign: Campaign) -> bool:
        """Book a CPM impression atomically against both budgets; other models pass (checked above)."""
        if campaign.pricing_model != "cpm" or (campaign.total_budget is None and campaign.daily_budget is None):
            return True
        day, _ = self._day()
        cost = int(round(campaign.price * MICROS / 1000))
        try:
            return bool(
                self._charge(
                    keys=list(keys(campaign.id, day)),
                    args=[cost, _micros(campaign.total_budget), _micros(campaign.daily_budget)],
                )
            )
        except redis.RedisError:
            return True  # fail open, see the module docstring

    def book_click(self, campaign: Campaign) -> None:
        """A billable CPC click spends the campaign's price (whatever the budget says: it was served)."""
        if campaign.pricing_model != "cpc":
            return
        day, _ = self._day()
        cost = int(round(campaign.price * MICROS))
        total_key, day_key = keys(campaign.id, day)
        pipe = self.redis.pipeline()
        pipe.incrby(total_key, cost).incrby(day_key, cost).expire(day_key, 259200)
        pipe.execute()
