"""The event value: one impression, view or click as the worker writes it, and what it costs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

import orjson

from ..audience.client import Requester
from ..infra import counters


@dataclass(frozen=True)
class Event:
    """Plain data: what the worker writes as one row of `events`."""

    decision_id: str
    event_type: str
    campaign_id: str
    creative_id: str
    advertiser_id: str
    placement: str
    topic: str = ""
    hook_variant: str = ""
    score: float | None = None
    billable: bool = True
    reason: str = ""
    cost: float = 0.0
    occurred_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    ip_hash: str = ""
    ua_class: str = ""
    keywords: tuple[str, ...] = ()
    decided_on: str = ""  # UTC day of the decision (views, clicks: their link's); '' for an impression: its own
    country: str = ""  # the reader's (ISO 3166-1 alpha-2, `geo.country`), '' unknown; never the address
    site: str = ""  # the page's site (`serving.sites`); '' (and every event from before sites): `default`

    @property
    def day(self) -> str:
        return self.occurred_at[:10]

    @property
    def decision_day(self) -> str:
        """The day `events` files this event under (its partition on PostgreSQL): the same for every copy."""
        return self.decided_on or self.occurred_at[:10]

    def rollup_key(self) -> tuple[str, ...]:
        """The event's row of `daily_rollups`, as `counters.ROLLUP_KEY` names its columns (day as text)."""
        return (
            self.day,
            self.campaign_id,
            self.creative_id,
            self.placement,
            self.topic,
            counters.country_of(self.country),
            counters.device_of(self.ua_class),
            counters.site_of(self.site),
        )

    def to_json(self, **changes) -> str:
        """The event as stored; with `changes`, the same event with those fields changed (as
        `dataclasses.replace(...).to_json()` gives it, without building that event on the hot path)."""
        # Flat fields only, so a plain dict beats dataclasses.asdict's recursive copy on the hot path.
        values = {f: getattr(self, f) for f in _FIELDS}
        if changes:
            values.update(changes)
        return orjson.dumps(values).decode()

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        d = json.loads(raw)
        d["keywords"] = tuple(d.get("keywords") or ())
        return cls(**{k: v for k, v in d.items() if k in _NAMES})  # a field added later is no reason to fail


_FIELDS = tuple(f.name for f in fields(Event))
_NAMES = frozenset(_FIELDS)


def counts_field(event: Event, billable: bool | None = None) -> str:
    """Field of the per-day counts hash (`adserver events reconcile` compares it with SQL); `billable`: of the
    same event stored as billable or not."""
    billable = event.billable if billable is None else billable
    return f"{event.campaign_id}:{event.event_type}:{'b' if billable else 'n'}"


def cost_of(event_type: str, pricing_model: str, price: float, billable: bool) -> float:
    """Spend booked for one event: CPM per thousand billable impressions, CPC per billable click."""
    if not billable:
        return 0.0
    if pricing_model == "cpm" and event_type == "impression":
        return price / 1000.0
    if pricing_model == "cpc" and event_type == "click":
        return price
    return 0.0


# Why an event is not billed (besides the client's reasons, `client.non_billable_reason`).
HOUSE = "house"  # every event on a house card (the publisher's own)
OVER_BUDGET = "over_budget"  # a CPC click, or a replayed impression, that came after the budget was spent
RATE_LIMITED = "rate_limited"  # served past its address's impression rate; also a refused beacon's outcome
UNKNOWN_ORIGIN = "unknown-origin"  # on a page that is none of its site's (`serving.sites.Page`)


def rate_limited_field(event: Event) -> str:
    """The field of `KeySpace.rate_limited` a refused beacon is counted in (JSON: no separator to escape):
    its rollup key, then its type."""
    return json.dumps([*event.rollup_key(), event.event_type], separators=(",", ":"))


# --- building events from what the web process knows ---------------------------------------------


def from_decision(decision, who: Requester) -> Event:
    """The impression of a served decision (`decision.Decision`) for `who`."""
    c = decision.campaign
    reason = who.unbilled or (UNKNOWN_ORIGIN if decision.context.unknown_page else HOUSE if c.house else "")
    billable = not reason
    return Event(
        decision_id=decision.id,
        event_type="impression",
        campaign_id=c.id,
        creative_id=decision.creative.id,
        advertiser_id=c.advertiser_id,
        placement=decision.context.placement,
        topic=decision.context.topic,
        hook_variant=decision.hook_variant,
        score=decision.score,
        billable=billable,
        reason=reason,
        cost=cost_of("impression", c.pricing_model, c.price, billable),
        ip_hash=who.ip_hash,
        ua_class=who.device,
        keywords=decision.context.keywords[:20],
        country=who.country,
        site=decision.context.site,
    )


def from_tracking(tracked, campaign, who: Requester) -> Event:
    """A view or click from a verified tracking token (`tracking.TrackedEvent`) and its campaign, by `who`."""
    reason = who.unbilled or (
        UNKNOWN_ORIGIN if tracked.unknown_page else HOUSE if campaign is not None and campaign.house else ""
    )
    billable = not reason
    return Event(
        decision_id=tracked.decision_id,
        event_type=tracked.event_type,
        campaign_id=tracked.campaign_id,
        creative_id=tracked.creative_id,
        advertiser_id=campaign.advertiser_id if campaign else "",
        placement=tracked.placement,
        topic=tracked.topic,
        hook_variant=tracked.hook_variant,
        billable=billable,
        reason=reason,
        cost=cost_of(tracked.event_type, campaign.pricing_model, campaign.price, billable) if campaign else 0.0,
        ip_hash=who.ip_hash,
        ua_class=who.device,
        decided_on=datetime.fromtimestamp(tracked.issued_at, UTC).date().isoformat() if tracked.issued_at else "",
        country=who.country,
        site=tracked.site,
    )
