"""A forecast as an advertiser asks for it: the targeting it is editing, validated as a campaign's is and held to
the same relevance policy, made into the campaign it would be, and forecast against the recorded decisions."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import ValidationError, fields, validates_schema

from ..catalog import self_service
from ..catalog.files import BudgetSchema, PricingSchema, TargetingSchema
from ..catalog.policy import RelevancePolicy
from ..catalog.validation import SLUG, Strict, load
from ..errors import Refusal, Refused
from ..infra import storage
from ..serving.snapshot import Campaign, CatalogSnapshot
from .reach import forecast
from .store import Window


class ForecastRequestSchema(Strict):
    """A campaign's targeting, as the campaign has it, with its price, budget and dates when known."""

    campaign = fields.String(
        load_default=None,
        allow_none=True,
        validate=SLUG,
        metadata={"description": "The campaign being edited, if any: not counted among the competition"},
    )
    targeting = fields.Nested(TargetingSchema, load_default=lambda: TargetingSchema().load({}))
    pricing = fields.Nested(PricingSchema, load_default=None, allow_none=True)
    budget = fields.Nested(BudgetSchema, load_default=None, allow_none=True)
    starts_on = fields.Date(load_default=None, allow_none=True)
    ends_on = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _dates_in_order(self, data, **kwargs):
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError(Refusal("ends_on is before starts_on."), field_name="ends_on")


def ask(
    db: storage.Database,
    snapshot: CatalogSnapshot,
    window: Window,
    advertiser_id: str,
    raw: Any,
    policy: RelevancePolicy,
    today: date,
) -> dict:
    """The forecast for `raw` (a `ForecastRequestSchema` body) of `advertiser_id`: CatalogError (400) for its shape,
    Refused (422) for what the policy or the rules refuse, NotFound for a campaign that is not the advertiser's."""
    data = load(ForecastRequestSchema(), raw, "forecast")
    before = self_service.get_campaign(db, advertiser_id, data["campaign"]) if data["campaign"] else None
    floor = self_service.get_limits(db, advertiser_id).min_relevance
    # As a change of the campaign would be judged (only what changes, for one being edited).
    after = {"targeting": data["targeting"]}
    problems = policy.problems(before, after, None if floor is None else float(floor))
    if problems:
        raise Refused("the targeting is not allowed", problems)
    campaign = _campaign(advertiser_id, data, before)
    first = max(today, data["starts_on"] or today)
    result = forecast(campaign, window, snapshot, first)
    per_day = {"expected": result.expected, "low": result.low, "high": result.high}
    flight = None
    if data["starts_on"] and data["ends_on"]:
        days = (data["ends_on"] - data["starts_on"]).days + 1
        flight = {"days": days, "expected": result.expected * days}
    return {
        "per_day": per_day,
        "competing": result.competing,
        "days": result.days,
        "first_day": result.first_day.isoformat() if result.first_day else None,
        "last_day": result.last_day.isoformat() if result.last_day else None,
        "flight": flight,
        "daily_budget_buys": _affordable(data),
        "approximations": list(result.approximations),
    }


def _campaign(advertiser_id: str, data: dict, before: dict | None) -> Campaign:
    """The campaign the targeting makes: serving now, without dates or budget (a forecast counts what matches;
    what a budget buys is said apart), at the edited campaign's tier (priority is the operator's: 0 for a new one)."""
    cid = before["id"] if before else ""
    values = {
        "advertiser_id": advertiser_id,
        "name": "",
        "status": "active",
        "pricing_model": "cpm",
        "price": 0,
        "priority": before["priority"] if before else 0,
        "targeting": data["targeting"],
    }
    card = {"campaign_id": cid, "display_name": "", "title": "", "cta_text": "", "landing_url": ""}
    return Campaign.from_values(cid, values, "", [("forecast", card)])


def _affordable(data: dict) -> int | None:
    """Impressions a day the daily budget pays for at a CPM price (None for other pricing, or without both)."""
    pricing, budget = data["pricing"], data["budget"] or {}
    if not pricing or pricing["model"] != "cpm" or not pricing["price"] or budget.get("daily") is None:
        return None
    return int(budget["daily"] / pricing["price"] * 1000)
