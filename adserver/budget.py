"""The budget seam of the decision path.

A `BudgetGate` says which campaigns may still spend and records the spend of a decision it
allows. `Unlimited` is the gate until budget counting (Redis counters, pacing) lands; the
decision core only talks to this protocol. A gate may also offer
`choose(campaigns, impression, reader) -> Choice(winner index | None, {id: reason}, recorded)` to check,
book and queue the winner's impression event in one call (`pacing.RedisBudget`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .catalog import Campaign

MICROS = 1_000_000  # spend is counted in integer micro-units of the currency


def micros(amount: float | None) -> int:
    return -1 if amount is None else int(round(amount * MICROS))


def budget_micros(c: Campaign) -> tuple[int, int]:
    """(total, daily) budget in micros; -1 where the campaign has none."""
    return micros(c.total_budget), micros(c.daily_budget)


def serving_limits(c: Campaign) -> tuple[int, int]:
    """(total, daily) spend in micros at which the campaign stops winning; -1: no limit. A CPC campaign
    stops while one more click still fits, since a click past the budget would not be billed."""
    total, daily = budget_micros(c)
    if c.pricing_model == "cpc":
        click = int(round(c.price * MICROS))
        total, daily = (max(v - click, 0) if v >= 0 else v for v in (total, daily))
    return total, daily


class BudgetGate(Protocol):
    def exhausted(self, campaigns: Sequence[Campaign]) -> dict[str, str]:
        """campaign id -> reason, for those that must not win now (budget spent, pacing)."""
        ...

    def charge(self, campaign: Campaign) -> bool:
        """Atomically book one served decision; False when the budget ran out meanwhile."""
        ...


class Unlimited:
    def exhausted(self, campaigns: Sequence[Campaign]) -> dict[str, str]:
        return {}

    def charge(self, campaign: Campaign) -> bool:
        return True
