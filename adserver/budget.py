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
