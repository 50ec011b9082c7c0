"""The rollup counters, named once: the rollup table, the event writer, reports, reconcile and the
report schema derive their columns from here (migrations keep their own literal history)."""

from __future__ import annotations

EVENT_TYPES = ("impression", "view", "click")

# The rollup's dimensions, named as reports group by them -> their column; together the rollup's unique key.
DIMENSIONS = {
    "day": "day",
    "campaign": "campaign_id",
    "creative": "creative_id",
    "placement": "placement",
    "topic": "topic",
    "country": "country",  # the reader's, ISO 3166-1 alpha-2, or UNKNOWN
    "device": "device",  # DEVICES or UNKNOWN
    "site": "site",  # the page's site (`serving.sites`): a catalog site, DEFAULT or UNKNOWN
}
ROLLUP_KEY = tuple(DIMENSIONS.values())
DEVICES = ("mobile", "tablet", "desktop")
UNKNOWN = "unknown"  # a reader's country or device that was not known (and every event from before they were)
DEFAULT_SITE = "default"  # the implicit site of a catalog without sites (and of every event from before sites)
# What a rollup key written before a dimension existed has for it: the dimensions after `topic`, in order.
LATER_DEFAULTS = (UNKNOWN, UNKNOWN, DEFAULT_SITE)
BEACONS = ("view", "click")  # the events a page sends back through a signed tracking URL

COLUMN = {"impression": "impressions", "view": "views", "click": "clicks"}  # billable, by event type
NONBILLABLE = {k: f"nonbillable_{c}" for k, c in COLUMN.items()}  # answered, not billed (any reason)
# Not-billed reasons that are also counted apart, in a column of their own per group and event type.
REASON_GROUPS = {"bot": "bot", "no_user_agent": "bot", "prefetch": "prefetch", "unknown-origin": "unknown_origin"}
GROUPS = ("bot", "prefetch", "unknown_origin")
BY_GROUP = {(g, k): f"{g}_{c}" for g in GROUPS for k, c in COLUMN.items()}
# Beacons refused by the per-address rate limit (429): no raw row, folded from a Redis aggregate.
RATE_LIMITED = {"view": "rate_limited_views", "click": "rate_limited_clicks"}

FROM_EVENTS = (*COLUMN.values(), *NONBILLABLE.values(), *BY_GROUP.values())  # added from raw rows
ROLLUP = (*FROM_EVENTS, *RATE_LIMITED.values())  # every count column of `daily_rollups`
APART = (*BY_GROUP.values(), *RATE_LIMITED.values())  # reported apart from billed traffic
FIRST_SCHEMA = (*COLUMN.values(), *NONBILLABLE.values())  # in the first migration, without a server default

# (event type, traffic) -> the rollup column `adserver events reconcile` compares with raw rows and Redis.
TRAFFIC = {
    **{(k, "billable"): c for k, c in COLUMN.items()},
    **{(k, "nonbillable"): c for k, c in NONBILLABLE.items()},
    **{(k, "rate_limited"): c for k, c in RATE_LIMITED.items()},
}

_GROUP_WORDS = {
    "bot": "known bots and crawlers, or no user agent",
    "prefetch": "prefetch or prerender requests",
    "unknown_origin": "pages that are none of their site's domains",
}
_KIND_WORDS = {"impression": "impressions", "view": "view beacons", "click": "clicks"}
DESCRIPTIONS = {
    **{c: f"Not billed ({_GROUP_WORDS[g]}): {_KIND_WORDS[k]}" for (g, k), c in BY_GROUP.items()},
    **{c: f"Not billed: {_KIND_WORDS[k]} over the per-address limit (429)" for k, c in RATE_LIMITED.items()},
}


def device_of(ua_class: str) -> str:
    """The rollup's device of an event's user-agent class (none | bot | mobile | tablet | desktop | '')."""
    return ua_class if ua_class in DEVICES else UNKNOWN


def country_of(country: str) -> str:
    """The rollup's country of an event's ('' when the reader's was not known)."""
    return country or UNKNOWN


def site_of(site: str) -> str:
    """The rollup's site of an event's ('' in events from before sites: the implicit `default`)."""
    return site or DEFAULT_SITE


def reason_group(reason: str) -> str | None:
    """The group a not-billed event is counted in apart: bot | prefetch | None (only in nonbillable_*)."""
    return REASON_GROUPS.get(reason)
