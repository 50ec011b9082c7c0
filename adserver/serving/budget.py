"""The budget seam of the decision path: one protocol, `BudgetGate.choose`, and the money rules.

A gate takes the ranked contenders and says which one may win (booking its spend and, given its
impression, queueing that event in the same call). `Unlimited` lets the first win; the Redis gate
(`pacing.RedisBudget`) and its dry run (`pacing.DryRun`) check budgets, pacing and caps with the
CHOOSE script, the one home of that rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol

from .snapshot import Campaign

if TYPE_CHECKING:
    from ..events.event import Event

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


def starts_spent(c: Campaign) -> bool:
    """Whether a spend limit is 0 before anything is spent (a budget of 0, a CPC budget under one click): no
    gate lets it win, so eligibility leaves it out before any per-article work is spent on it."""
    return 0 in serving_limits(c)


class Choice(NamedTuple):
    winner: int | None  # index into the contenders, None: all refused
    refused: dict[str, str]  # campaign id -> why it could not win
    recorded: bool  # the winner's impression event was queued (or spooled) by the same call


class BudgetGate(Protocol):
    def choose(
        self, campaigns: Sequence[Campaign], impression: Callable[[int], Event] | None = None, reader: str = ""
    ) -> Choice:
        """The first of the ranked `campaigns` that may win now, its spend booked; with `impression`
        (contender index -> its impression event) that event is queued too, and `recorded` says so.
        `reader` is the publisher's reader id, for frequency caps."""
        ...


class Unlimited:
    """No budgets, no caps: the best contender wins (tests, benchmarks, a catalog without spend)."""

    def choose(
        self, campaigns: Sequence[Campaign], impression: Callable[[int], Event] | None = None, reader: str = ""
    ) -> Choice:
        return Choice(0 if campaigns else None, {}, False)
