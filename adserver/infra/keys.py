"""Every Redis key the serving and event pipeline uses, built in one place.

`KeySpace` lays the keys out: on one server (one shard) exactly as they always were; in shards (Redis
Cluster, `REDIS_SHARDS`) the keys one Lua script touches carry the hash tag `{sN}` of one shard, so each
script runs on one slot, while the shards spread queues and counters over the cluster's masters. A
campaign lives on one shard (a stable hash of its id): its spend, caps and events' once-markers, the
events it queues and the per-address rate counts its scripts check. This module imports nothing from
the package: it is the ground floor.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

PREFIX = "adserver:"

# --- keys of the whole deployment (one command each: any slot) ---------------------------------------

TICK = PREFIX + "events:tick"  # set for a second by the worker tick that enqueued a persist job
SPOOLS = PREFIX + "events:spools"  # hash: host name -> its spool's depth and when it said so (JSON)
LAYOUT = PREFIX + "keys:layout"  # the KeySpace every process of this deployment must use (`KeySpace.name`)


# The reach forecast's counts (`adserver.forecast`): whole-deployment keys in one slot ({reach}), so one script
# takes them together even in a cluster.
REACH = PREFIX + "{reach}:counts"  # hash: [hour since the epoch, site, placement, country, device, topic, article] -> n
REACH_ARTICLES = PREFIX + "{reach}:articles"  # hash: article id -> its reading (JSON), sent once per process and day
REACH_FOLDS = PREFIX + "{reach}:folds"  # set of fold ids taken and not yet confirmed written to SQL
REACH_FOLDED = PREFIX + "{reach}:folded"  # set for a while after a fold: the next one waits


def reach_fold(fold_id: str) -> tuple[str, str]:
    """(counts, articles) of one fold of the reach counts into SQL."""
    return f"{PREFIX}{{reach}}:fold:{fold_id}:counts", f"{PREFIX}{{reach}}:fold:{fold_id}:articles"


def self_service_writes(advertiser_id: str) -> str:
    """Changes an advertiser made through the self-service API in the current minute."""
    return f"{PREFIX}selfservice:writes:{advertiser_id}"


_TAG = re.compile(r"\{s(\d+)\}")


@dataclass(frozen=True)
class KeySpace:
    """The layout of the sharded keys: `shards` event shards; `tagged` puts each shard in one slot."""

    shards: int = 1
    tagged: bool = False

    @property
    def name(self) -> str:
        return f"{self.shards} shards" + (", tagged" if self.tagged else "")

    def shard(self, campaign_id: str) -> int:
        """The shard of a campaign: the same in every process (crc32, not Python's salted hash)."""
        return zlib.crc32(campaign_id.encode()) % self.shards if self.shards > 1 else 0

    def all(self) -> range:
        return range(self.shards)

    def _in(self, shard: int) -> str:
        return f"{PREFIX}{{s{shard}}}:" if self.tagged else PREFIX

    def shard_of_key(self, key: str) -> int:
        """The shard a key of this layout belongs to."""
        m = _TAG.search(key) if self.tagged else None
        return int(m.group(1)) if m else 0

    def none(self, shard: int) -> str:
        """The key a script is given for 'no such key' (never written): '' on one server; in shards a
        key of the script's own slot, since Redis Cluster refuses a script whose keys span slots."""
        return self._in(shard) + "none" if self.tagged else ""

    # --- events: the queue from the web process to the worker ---

    def incoming(self, shard: int = 0) -> str:
        """List of queued event JSON lines."""
        return self._in(shard) + "events:incoming"

    def batch(self, name: str, shard: int = 0) -> str:
        """The batch list of one persist job (named after the job) on one shard."""
        return self.batch_prefix(shard) + name

    def batch_prefix(self, shard: int = 0) -> str:
        return self._in(shard) + "events:batch:"

    def batch_name(self, key: str) -> str:
        """The job a batch list is named after."""
        return key.removeprefix(self.batch_prefix(self.shard_of_key(key)))

    def batches(self, shard: int = 0) -> str:
        """Sorted set: batch list -> when it was taken (ms); gone once written."""
        return self._in(shard) + "events:batches"

    def persisted(self, shard: int = 0) -> str:
        """Hash: event type -> events of this shard written to SQL, by every worker."""
        return self._in(shard) + "events:persisted"

    def rate_limited(self, shard: int = 0) -> str:
        """Beacons refused by the rate limit: hash of [day, campaign, creative, placement, topic, type] -> n."""
        return self._in(shard) + "events:ratelimited"

    def fold(self, fold_id: str, shard: int = 0) -> str:
        """A rate-limited aggregate being folded into SQL."""
        return self.fold_prefix(shard) + fold_id

    def fold_prefix(self, shard: int = 0) -> str:
        return self._in(shard) + "events:rlfold:"

    def folds_pending(self, shard: int = 0) -> str:
        """Set of fold ids renamed but not yet confirmed written."""
        return self._in(shard) + "events:rlfolds"

    def counts(self, day: str, shard: int = 0) -> str:
        """Per-day hash of campaign:type:b|n|r -> events queued (`adserver events reconcile` sums the shards)."""
        return f"{self._in(shard)}events:counts:{day}"

    def seen(self, decision_id: str, event_type: str, shard: int = 0) -> str:
        """The once-per-decision marker of an event (on its campaign's shard)."""
        return f"{self._in(shard)}events:seen:{decision_id}:{event_type}"

    def beacon_rate(self, address: str, shard: int = 0) -> str:
        """Views and clicks from one (hashed) address in the current window, on one shard."""
        return f"{self._in(shard)}rl:{address}"

    def impression_rate(self, address: str, shard: int = 0) -> str:
        """Impressions served to one (hashed) address in the current window, on one shard."""
        return f"{self._in(shard)}irl:{address}"

    # --- budgets and caps: on the campaign's shard ---

    def spend(self, campaign_id: str, day: str) -> tuple[str, str]:
        """(total, that day's) spend of a campaign, in micros."""
        p = self._in(self.shard(campaign_id))
        return f"{p}spend:total:{campaign_id}", f"{p}spend:day:{day}:{campaign_id}"

    def frequency_cap(self, campaign_id: str, reader_digest: str) -> str:
        """Impressions of a campaign to one reader (hashed) in the cap's window."""
        return f"{self._in(self.shard(campaign_id))}cap:{campaign_id}:{reader_digest}"

    def auth_failures(self, address: str) -> str:
        """Failed API-token attempts from one (hashed) address, in the last minute."""
        return f"{PREFIX}authfail:{{{address}}}" if self.tagged else f"{PREFIX}authfail:{address}"


# One server's layout (tests and tools that talk to one server use these names).
SINGLE = KeySpace()
INCOMING = SINGLE.incoming()
BATCH_PREFIX = SINGLE.batch_prefix()
BATCHES = SINGLE.batches()
RATE_LIMITED = SINGLE.rate_limited()
FOLD_PREFIX = SINGLE.fold_prefix()
FOLDS_PENDING = SINGLE.folds_pending()
batch, fold, counts, seen = SINGLE.batch, SINGLE.fold, SINGLE.counts, SINGLE.seen
beacon_rate, impression_rate, spend = SINGLE.beacon_rate, SINGLE.impression_rate, SINGLE.spend
frequency_cap, auth_failures = SINGLE.frequency_cap, SINGLE.auth_failures
