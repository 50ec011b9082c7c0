"""A campaign's state in words (`events.delivery.state`): the pacing rule at a given moment of the day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from adserver.events.delivery import STATES, Now, state
from adserver.infra import storage

TODAY = date(2026, 12, 6)


def row(**kw) -> storage.Campaign:
    values = {"id": "c", "status": "active", "approved": True, "pacing": "even", "daily_budget": Decimal(100)}
    cr = storage.Creative(id="k", status="active", approved=True)
    return storage.Campaign(**(values | kw), creatives=[cr])


@pytest.mark.parametrize(
    ("campaign", "now", "expected"),
    [
        (row(), Now("", 50.0, 0.5), "on_pace"),
        (row(), Now("", 20.0, 0.5), "behind"),  # 20% spent at half the day: too few articles to spend on
        (row(), Now("", 0.0, 0.05), "on_pace"),  # early in the day nothing is behind yet
        (row(pacing="asap"), Now("", 0.0, 0.9), "on_pace"),  # asap is never held back: nothing to be behind
        (row(daily_budget=None), Now("", 0.0, 0.9), "serving"),
        (row(), Now("daily budget spent", 100.0, 0.5), "daily_budget_reached"),
        (row(), Now("total budget spent", 0.0, 0.5), "total_budget_spent"),
        (row(), Now("", 0.0, 0.5, scheduled=False), "off_schedule"),  # not behind: its hours are not now
        (row(status="paused"), None, "paused"),
        (row(approved=False), None, "waiting_for_review"),
        (row(approved=False, review_reason="Misleading"), None, "refused_in_review"),
        (row(starts_on=date(2026, 12, 7)), Now(), "not_started"),
        (row(ends_on=date(2026, 12, 5)), Now(), "ended"),
    ],
)
def test_a_campaigns_state_in_words(campaign, now, expected):
    assert state(campaign, now, TODAY) == expected
    assert STATES[expected]


def test_a_campaign_whose_only_card_waits_for_review_is_waiting():
    c = row()
    c.creatives[0].approved = False
    assert state(c, Now(), TODAY) == "waiting_for_review"
