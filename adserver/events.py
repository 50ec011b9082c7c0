"""Impressions, views and clicks: the Event value, request classification, and the queue to rq.

Design (why this shape):
- The request path does ONE Redis round trip per event: an EVALSHA of `RECORD` that atomically
  SET NX's the dedupe key `adserver:events:seen:<decision>:<type>`, RPUSH'es the JSON event onto the
  buffer list `adserver:events:buffer` and HINCRBY's the per-day counter hash
  `adserver:events:counts:<day>` (field `campaign|type|b|n`, used by `reconcile`). A duplicate (replayed
  URL) is dropped right there; the SQL unique key (decision_id, event_type) stays the final truth.
- A background flusher thread in each web process (and `adserver events replay`) seals the buffer
  into batches of up to `events_batch_size` with the atomic `SEAL` script (LRANGE+LTRIM into
  `adserver:events:batch:<id>`, id added to the ZSET `adserver:events:pending`) and enqueues ONE rq job
  `adserver.jobs.persist_batch(batch_id)` per batch on the queue `adserver-events`. An enqueue costs
  ~0.5 ms, so per batch rather than per event; events never leave Redis until a job has committed them.
- The job deletes the batch and its pending entry only after the SQL commit. A batch still pending
  after `events_stale_seconds` (worker SIGKILLed, enqueue lost) is enqueued again by the sweeper;
  the idempotent job makes that safe.
- Redis down: the event is appended to a local spool file (`var/spool/*.open`, fsync'd by the flusher
  in batches), and replayed through the same `RECORD` script once Redis answers (dedupe applies).
- Redis itself must persist (AOF/RDB on shutdown) for "never lost" to hold across a Redis restart.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import redis

from .decision import Decision
from .tracking import TrackedEvent

log = logging.getLogger(__name__)

EVENT_TYPES = ("impression", "view", "click")
QUEUE = "adserver-events"
PREFIX = "adserver:events"
BUFFER = f"{PREFIX}:buffer"
PENDING = f"{PREFIX}:pending"
BATCH = f"{PREFIX}:batch:"
SEEN = f"{PREFIX}:seen:"
COUNTS = f"{PREFIX}:counts:"
COUNTS_TTL = 40 * 86400


@dataclass(frozen=True)
class Event:
    """One impression, view or click as plain data (what goes through Redis and into SQL)."""

    decision_id: str
    event_type: str
    campaign_id: str
    creative_id: str
    advertiser_id: str
    placement: str
    topic: str
    hook_variant: str
    occurred_at: datetime
    score: float | None = None
    billable: bool = True
    reason: str = ""
    cost: float = 0.0
    ip_hash: str = ""
    ua_class: str = ""
    keywords: tuple[str, ...] = field(default_factory=tuple)

    @property
    def day(self) -> str:
        return self.occurred_at.date().isoformat()

    def to_json(self) -> str:
        d = asdict(self)
        d["occurred_at"] = self.occurred_at.isoformat()
        d["keywords"] = list(self.keywords)
        return json.dumps(d, separators=(",", ":"))

    @classmethod
    def from_dict(cls, d: Mapping) -> Event:
        d = dict(d)
        d["occurred_at"] = datetime.fromisoformat(d["occurred_at"])
        d["keywords"] = tuple(d.get("keywords") or ())
        return cls(**d)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        return cls.from_dict(json.loads(raw))


@dataclass(frozen=True)
class Client:
    """What we keep about the requester: billability, a salted IP hash and a coarse UA class."""

    billable: bool = True
    reason: str = ""
    ip_hash: str = ""
    ua_class: str = ""


def cost_of(event_type: str, pricing_model: str, price: float, billable: bool) -> float:
    """Spend booked for one event: cpm on billable impressions, cpc on billable clicks, flat never."""
    if not billable:
        return 0.0
    if pricing_model == "cpm" and event_type == "impression":
        return round(price / 1000.0, 6)
    if pricing_model == "cpc" and event_type == "click":
        return round(float(price), 6)
    return 0.0


def impression(decision: Decision, client: Client, now: datetime | None = None) -> Event:
    c = decision.campaign
    return Event(
        decision_id=decision.id,
        event_type="impression",
        campaign_id=c.id,
        creative_id=decision.creative.id,
        advertiser_id=c.advertiser_id,
        placement=decision.context.placement,
        topic=decision.context.topic or "",
        hook_variant=decision.hook_variant or "",
        occurred_at=now or datetime.now(UTC),
        score=decision.score,
        billable=client.billable,
        reason=client.reason,
        cost=cost_of("impression", c.pricing_model, c.price, client.billable),
        ip_hash=client.ip_hash,
        ua_class=client.ua_class,
        keywords=tuple(decision.context.keywords),
    )


def tracked(te: TrackedEvent, client: Client, campaign=None, now: datetime | None = None) -> Event:
    """A view or click from a verified token; `campaign` (from the catalog) prices it and names the advertiser."""
    billable = client.billable
    return Event(
        decision_id=te.decision_id,
        event_type=te.event_type,
        campaign_id=te.campaign_id,
        creative_id=te.creative_id,
        advertiser_id=campaign.advertiser_id if campaign else "",
        placement=te.placement,
        topic=te.topic or "",
        hook_variant=te.hook_variant or "",
        occurred_at=now or datetime.now(UTC),
        billable=billable,
        reason=client.reason,
        cost=cost_of(te.event_type, campaign.pricing_model, campaign.price, billable) if campaign else 0.0,
        ip_hash=client.ip_hash,
        ua_class=client.ua_class,
    )


# --- the requester ---------------------------------------------------------------------------------

_crawler_detect = None
_crawler_lock = threading.Lock()


def is_crawler(user_agent: str) -> bool:
    """Known bots and crawlers from the maintained `crawlerdetect` list (JayBizzle's patterns)."""
    global _crawler_detect
    if not user_agent:
        return True
    with _crawler_lock:  # CrawlerDetect keeps per-call match state on the instance
        if _crawler_detect is None:
            from crawlerdetect import CrawlerDetect

            _crawler_detect = CrawlerDetect()
        return bool(_crawler_detect.isCrawler(user_agent))


def is_prefetch(headers: Mapping[str, str]) -> bool:
    purpose = (headers.get("Sec-Purpose") or headers.get("Purpose") or headers.get("X-Purpose") or "").lower()
    return "prefetch" in purpose or "prerender" in purpose or headers.get("X-Moz", "").lower() == "prefetch"


def ua_class(user_agent: str, bot: bool) -> str:
    if bot:
        return "bot"
    ua = user_agent.lower()
    if "ipad" in ua or "tablet" in ua:
        return "tablet"
    if "mobi" in ua or "android" in ua or "iphone" in ua:
        return "mobile"
    if "mozilla" in ua:
        return "desktop"
    return "other"


def truncate_ip(ip: str) -> str:
    """IPv4 to /24, IPv6 to /48: enough for rate limits and fraud checks, not a person."""
    try:
        addr = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return ""
    prefix = 24 if addr.version == 4 else 48
    return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False).network_address)


def ip_hash(ip: str, secret_key: str) -> str:
    truncated = truncate_ip(ip)
    if not truncated:
        return ""
    return hmac.new(f"ip-hash:{secret_key}".encode(), truncated.encode(), hashlib.sha256).hexdigest()


def classify(remote_addr: str, headers: Mapping[str, str], secret_key: str) -> Client:
    ua = headers.get("User-Agent") or ""
    bot = is_crawler(ua)
    prefetch = is_prefetch(headers)
    reason = "bot" if bot else "prefetch" if prefetch else ""
    return Client(not reason, reason, ip_hash(remote_addr, secret_key), ua_class(ua, bot))


# --- Redis scripts -------------------------------------------------------------------------------

RECORD = """
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', tonumber(ARGV[2])) then
  local n = redis.call('RPUSH', KEYS[1], ARGV[1])
  redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[4]))
  return n
end
return -1
"""

SEAL = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items == 0 then return 0 end
redis.call('LTRIM', KEYS[1], #items, -1)
local key = ARGV[4] .. ARGV[2]
for i = 1, #items, 500 do
  redis.call('RPUSH', key, unpack(items, i, math.min(i + 499, #items)))
end
redis.call('ZADD', KEYS[2], tonumber(ARGV[3]), ARGV[2])
return #items
"""


def counter_field(e: Event) -> str:
    return f"{e.campaign_id}|{e.event_type}|{'b' if e.billable else 'n'}"


# --- the local spool ------------------------------------------------------------------------------


class Spool:
    """Append-only JSON-lines files for events Redis could not take; fsync'd in batches by the flusher.

    The writer appends to `<pid>-<n>.open`; `rotate()` renames it to `.ready`; a replayer claims a
    `.ready` file (or the `.open` file of a dead process) by renaming it, replays it, then deletes it.
    """

    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self._lock = threading.Lock()
        self._file = None
        self._path: Path | None = None
        self._dirty = False
        self._seq = 0

    def append(self, line: str) -> None:
        with self._lock:
            if self._file is None:
                self.dir.mkdir(parents=True, exist_ok=True)
                self._seq += 1
                self._path = self.dir / f"{os.getpid()}-{int(time.time() * 1000)}-{self._seq}.open"
                self._file = open(self._path, "a", encoding="utf-8")
            self._file.write(line + "\n")
            self._file.flush()
            self._dirty = True

    def sync(self) -> None:
        with self._lock:
            if self._file is not None and self._dirty:
                os.fsync(self._file.fileno())
                self._dirty = False

    def rotate(self) -> None:
        with self._lock:
            if self._file is None:
                return
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._path.rename(self._path.with_suffix(".ready"))
            self._file = None
            self._path = None
            self._dirty = False

    def size(self) -> tuple[int, int]:
        """(files, bytes) waiting in the spool directory."""
        if not self.dir.exists():
            return 0, 0
        files = [p for p in self.dir.iterdir() if p.is_file()]
        return len(files), sum(p.stat().st_size for p in files)

    def claimable(self) -> list[Path]:
        if not self.dir.exists():
            return []
        out = []
        for p in sorted(self.dir.iterdir()):
            if p.suffix == ".ready":
                out.append(p)
            elif p.suffix == ".replaying" and p.name.split("-")[0] == str(os.getpid()):
                out.append(p)  # our own replay that failed half way (Redis went again): retry it
            elif p.suffix in (".open", ".replaying") and not _alive(p.name.split("-")[0]) and p != self._path:
                out.append(p)
        return out


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


# --- the sink -------------------------------------------------------------------------------------


class EventSink:
    """Records events for the web process: Redis when it answers, the local spool when not."""

    def __init__(
        self,
        client: redis.Redis,
        spool_dir: Path,
        *,
        batch_size: int = 500,
        flush_seconds: float = 0.1,
        dedupe_ttl: int = 90000,
        stale_seconds: float = 30.0,
        queue_name: str = QUEUE,
    ):
        self.redis = client
        self.spool = Spool(spool_dir)
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.dedupe_ttl = dedupe_ttl
        self.stale_seconds = stale_seconds
        self.queue_name = queue_name
        self._record = client.register_script(RECORD)
        self._seal = client.register_script(SEAL)
        self._redis_down = False
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_sweep = 0.0

    # request path
    def record(self, event: Event) -> bool:
        """Queue one event; False if it was a duplicate (already queued for this decision and type)."""
        line = event.to_json()
        if not self._redis_down:
            try:
                n = self._push(event, line)
            except redis.RedisError as e:
                log.warning("Redis unavailable (%s): spooling events locally", e)
                self._redis_down = True
            else:
                if n >= self.batch_size:
                    self._wake.set()
                return n >= 0
        self.spool.append(line)
        return True

    def _push(self, event: Event, line: str, client=None) -> int:
        keys = [BUFFER, f"{SEEN}{event.decision_id}:{event.event_type}", f"{COUNTS}{event.day}"]
        args = [line, self.dedupe_ttl, counter_field(event), COUNTS_TTL]
        result = self._record(keys=keys, args=args, client=client)
        return 0 if client is not None else int(result)

    # background
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="adserver-events-flusher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        try:
            self.flush()
        except redis.RedisError:
            pass
        self.spool.rotate()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            try:
                self.spool.sync()
                self.tick()
            except Exception:  # noqa: BLE001 - the flusher must survive outages; logged
                log.exception("event flusher tick failed")

    def tick(self) -> None:
        """One flusher round: replay the spool if Redis is back, seal and enqueue batches, sweep stale ones."""
        if self._redis_down:
            try:
                self.redis.ping()
            except redis.RedisError:
                return
            self._redis_down = False
            log.info("Redis is back: replaying the local spool")
        if self.spool.claimable() or self.spool._file is not None:
            self.replay_spool()
        self.flush()
        if time.monotonic() - self._last_sweep > max(1.0, self.stale_seconds / 3):
            self._last_sweep = time.monotonic()
            self.requeue_stale()

    def flush(self, force: bool = True) -> int:
        """Seal the buffer into batches and enqueue one rq job per batch; returns events sealed."""
        total = 0
        while True:
            batch_id = uuid.uuid4().hex
            n = int(self._seal(keys=[BUFFER, PENDING], args=[self.batch_size, batch_id, time.time(), BATCH]))
            if n == 0:
                return total
            total += n
            self.enqueue(batch_id)

    def enqueue(self, batch_id: str) -> None:
        from rq import Queue, Retry

        Queue(self.queue_name, connection=self.redis).enqueue(
            "adserver.jobs.persist_batch",
            batch_id,
            retry=Retry(max=3),  # immediate; no scheduler needed. Stale sweep covers the rest
            failure_ttl=7 * 86400,
            result_ttl=60,
            job_timeout=300,
            description=f"persist events batch {batch_id}",
        )

    def requeue_stale(self) -> int:
        """Enqueue again every batch pending longer than `stale_seconds` (a crashed worker's batch)."""
        cutoff = time.time() - self.stale_seconds
        stale = self.redis.zrangebyscore(PENDING, "-inf", cutoff)
        for raw in stale:
            batch_id = raw.decode()
            self.redis.zadd(PENDING, {batch_id: time.time()})
            self.enqueue(batch_id)
        return len(stale)

    def replay_spool(self) -> int:
        """Push every claimable spool file through RECORD (dedupe applies); returns events re-queued."""
        self.spool.rotate()
        replayed = 0
        for path in self.spool.claimable():
            claimed = path.with_name(f"{os.getpid()}-{path.stem.split('-', 1)[-1]}.replaying")
            if path == claimed:
                replayed += self._replay_file(claimed)
                claimed.unlink()
                continue
            try:
                path.rename(claimed)
            except FileNotFoundError:
                continue  # another process claimed it
            replayed += self._replay_file(claimed)
            claimed.unlink()
        return replayed

    def _replay_file(self, path: Path) -> int:
        n = 0
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        for chunk in _chunks(lines, 500):
            pipe = self.redis.pipeline(transaction=False)
            for line in chunk:
                try:
                    event = Event.from_json(line)
                except (ValueError, TypeError, KeyError):
                    log.error("dropping unreadable spool line in %s: %r", path, line[:200])
                    continue
                self._push(event, line, client=pipe)
            n += sum(1 for r in pipe.execute() if int(r) >= 0)
        return n


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
