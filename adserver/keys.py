"""Every Redis key the serving and event pipeline uses, built in one place.

Functions rather than string constants so that a key's layout (a Redis Cluster hash tag, say)
changes here and nowhere else. This module imports nothing from the package: it is the ground floor.
"""

from __future__ import annotations

PREFIX = "adserver:"

# --- events: the queue from the web process to the worker ----------------------------------------

INCOMING = PREFIX + "events:incoming"  # list of queued event JSON lines
BATCH_PREFIX = PREFIX + "events:batch:"  # + job id: the events one persist job took
BATCHES = PREFIX + "events:batches"  # sorted set: batch list -> when it was taken (ms); gone once written
TICK = PREFIX + "events:tick"  # set for a second by the worker tick that enqueued a persist job
PERSISTED = PREFIX + "events:persisted"  # hash: event type -> events written to SQL, by every worker
# Beacons refused by the rate limit: hash of [day, campaign, creative, placement, topic, type] -> n.
RATE_LIMITED = PREFIX + "events:ratelimited"
FOLD_PREFIX = PREFIX + "events:rlfold:"  # + fold id: a rate-limited aggregate being folded into SQL
FOLDS_PENDING = PREFIX + "events:rlfolds"  # set of fold ids renamed but not yet confirmed written
SPOOLS = PREFIX + "events:spools"  # hash: host name -> its spool's depth and when it said so (JSON)


def batch(name: str) -> str:
    """The batch list of one persist job (named after the job)."""
    return BATCH_PREFIX + name


def fold(fold_id: str) -> str:
    return FOLD_PREFIX + fold_id


def counts(day: str) -> str:
    """Per-day hash of campaign:type:b|n|r -> events queued (`adserver events reconcile`)."""
    return f"{PREFIX}events:counts:{day}"


def seen(decision_id: str, event_type: str) -> str:
    """The once-per-decision marker of an event."""
    return f"{PREFIX}events:seen:{decision_id}:{event_type}"


def beacon_rate(address: str) -> str:
    """Views and clicks from one (hashed) address in the current window."""
    return f"{PREFIX}rl:{address}"


def impression_rate(address: str) -> str:
    """Impressions served to one (hashed) address in the current window."""
    return f"{PREFIX}irl:{address}"


# --- budgets and caps ------------------------------------------------------------------------------


def spend(campaign_id: str, day: str) -> tuple[str, str]:
    """(total, that day's) spend of a campaign, in micros."""
    return f"{PREFIX}spend:total:{campaign_id}", f"{PREFIX}spend:day:{day}:{campaign_id}"


def frequency_cap(campaign_id: str, reader_digest: str) -> str:
    """Impressions of a campaign to one reader (hashed) in the cap's window."""
    return f"{PREFIX}cap:{campaign_id}:{reader_digest}"


def auth_failures(address: str) -> str:
    """Failed report-token attempts from one (hashed) address."""
    return f"{PREFIX}authfail:{address}"


def self_service_writes(advertiser_id: str) -> str:
    """Changes an advertiser made through the self-service API in the current minute."""
    return f"{PREFIX}selfservice:writes:{advertiser_id}"
