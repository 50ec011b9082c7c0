"""Every Lua script of the pipeline, and the runner the request path calls them with.

Scripts do the multi-step Redis updates that must be atomic (rq keeps its scripts in one module too).
`LuaScript` sends EVALSHA on a connection kept by the calling thread instead of redis-py's
`Script.__call__`, which checks a connection out of the pool, under a lock, and through the retry
helper on every call (`bench/redis_call.py` measures both). Semantics are unchanged: no retry (a
script that books must run once at most, see `redis_client`), a connection that failed
mid-call is closed by redis-py before the error is raised, and NOSCRIPT (a restarted Redis) loads
the script and runs it once more, which is safe because NOSCRIPT means it did not run. In a Redis
Cluster it goes to the master of its keys' slot, and follows a MOVED once (the script did not run).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence

import hiredis
import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.exceptions import DataError, MovedError, NoScriptError, RedisClusterException
from redis.retry import Retry

NO_RETRY = Retry(NoBackoff(), 0)


class LuaScript:
    def __init__(self, client: redis.Redis | RedisCluster, source: str):
        self.client = client
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()  # what redis-py's register_script computes
        self._local = threading.local()
        self._stale_slots = False  # a cluster node failed: ask the cluster where the slots are now

    def _pool(self, keys: Sequence) -> tuple[str, redis.ConnectionPool]:
        """(name, pool) of the server the keys live on: the client's own, or in a Redis Cluster the
        master of the first key's slot (a script's keys share one slot, see `keys.KeySpace`)."""
        if not isinstance(self.client, RedisCluster):
            return "", self.client.connection_pool
        try:
            if self._stale_slots:
                self.client.nodes_manager.initialize()
                self._stale_slots = False
            node = self.client.get_node_from_key(keys[0])
        except RedisClusterException as e:  # no node answers, or the slot has none: an outage to the caller
            raise redis.ConnectionError(str(e)) from e
        return node.name, self.client.get_redis_connection(node).connection_pool

    def _connection(self, keys: Sequence):
        # Outside the pool's books: a thread that ends (a server spawning one per request) drops its
        # connection with it, and redis-py closes a connection when it is collected. Not through
        # `pool.make_connection()`, which counts against max_connections (100) and never uncounts: an
        # outage's failed calls would use the count up and lock the whole client out after Redis is back.
        local = self._local
        if getattr(local, "pid", None) != os.getpid():  # a fork must not share a socket
            local.conns, local.pid = {}, os.getpid()
        name, pool = self._pool(keys)
        conn = local.conns.get(name)
        if conn is None:
            conn = pool.connection_class(**pool.connection_kwargs)
            conn.retry = NO_RETRY  # whatever the client's policy, a script runs at most once
            conn.connect()  # the pool's way: behind Sentinel, this asks for the current master's address
            local.conns[name] = conn
        return name, conn

    def __call__(self, keys: Sequence = (), args: Sequence = ()):
        for attempt in (1, 2):
            name = None
            try:
                name, conn = self._connection(keys)
                return self._run(conn, keys, args)
            except MovedError:
                # The slot moved (a cluster failover or resharding): the script did not run; once more, there.
                if attempt == 2:
                    raise
                self._stale_slots = True
            except (redis.ConnectionError, redis.TimeoutError):
                # Never reconnect this connection by itself: it would dial the address it last had, which
                # after a Sentinel failover is the old master. The next call makes a fresh one.
                self._local.conns.pop(name, None)
                self._stale_slots = isinstance(self.client, RedisCluster)
                raise

    def _run(self, conn, keys: Sequence, args: Sequence):
        command = _pack(("EVALSHA", self.sha, len(keys), *keys, *args))
        try:
            conn.send_packed_command(command)
            return conn.read_response()
        except NoScriptError:
            conn.send_command("SCRIPT", "LOAD", self.source)
            conn.read_response()
            conn.send_packed_command(command)
            return conn.read_response()


def _pack(command: tuple) -> list[bytes]:
    """The command as redis-py's hiredis packer sends it, byte for byte, without its per-argument encoder (a
    decision's call has some 30 arguments): hiredis encodes str as UTF-8 and numbers by their repr, as
    redis-py does, and refuses what redis-py refuses (a bool, None)."""
    try:
        return [hiredis.pack_command(command)]
    except TypeError as e:
        raise DataError(str(e)) from e


# --- the scripts (each KEYS/ARGV comment is the script's contract with its caller) ---------------

# KEYS (one shard's; NONE for a key not given, see below): incoming, counts hash, seen key (NONE for
#       impressions), rate key (NONE for no limit), rate-limited aggregate (NONE), total and day spend keys
#       (NONE unless a billable CPC click)
# ARGV: event json, counts field, seen ttl, rate limit, rate window, batch size,
#       aggregate field, counts field of a refusal,
#       [cost (micros), total and daily budget (micros, -1: none), the event as not billable, its counts field],
#       NONE last: the name given for 'no key' (`KeySpace.none`: '' on one server, a key of the shard's slot
#       in a cluster, which refuses a script whose keys span slots)
# A refused beacon sets no once-per-decision marker: a later allowed one still counts. A replay of one
# already counted is answered as a duplicate before the limit: it neither counts as refused nor uses it up.
# A CPC click books its price here, in the same step that makes it count once; a click that would take
# the campaign past a budget is kept, as not billable ('over_budget'): billed spend never passes a budget.
EMIT = """
local NONE = ARGV[#ARGV]
if KEYS[3] ~= NONE and redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
if KEYS[4] ~= NONE then
  local n = redis.call('INCR', KEYS[4])
  if n == 1 then redis.call('EXPIRE', KEYS[4], ARGV[5]) end
  if n > tonumber(ARGV[4]) then
    if KEYS[5] ~= NONE then
      redis.call('HINCRBY', KEYS[5], ARGV[7], 1)
      redis.call('HINCRBY', KEYS[2], ARGV[8], 1)
      redis.call('EXPIRE', KEYS[2], 3456000)
    end
    return -2
  end
end
if KEYS[3] ~= NONE then
  if not redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[3]) then return -1 end
end
local event, field = ARGV[1], ARGV[2]
if KEYS[6] ~= NONE then
  local cost, total_cap, day_cap = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
  local total = tonumber(redis.call('GET', KEYS[6]) or '0')
  local day = tonumber(redis.call('GET', KEYS[7]) or '0')
  if (total_cap >= 0 and total + cost > total_cap) or (day_cap >= 0 and day + cost > day_cap) then
    event, field = ARGV[12], ARGV[13]
  else
    redis.call('INCRBY', KEYS[6], cost)
    redis.call('INCRBY', KEYS[7], cost)
    redis.call('EXPIRE', KEYS[7], 259200)
  end
end
local len = redis.call('RPUSH', KEYS[1], event)
redis.call('HINCRBY', KEYS[2], field, 1)
redis.call('EXPIRE', KEYS[2], 3456000)
return len
"""


# One call per contender tried (the script takes several; `choose` sends one, see MAX_CALLS): skip
# those over budget, held back by pacing or capped for this reader, book the first one that may win,
# count it against the reader's cap and push its impression event onto the events list (the
# EMIT's work for impressions, so a served contender costs one round trip in all).
# Past the reader's address's impression rate the winner is still served and its impression queued,
# but as not billable ('rate_limited') and without booking its price: one address cannot spend budgets.
# The queued impression is marked seen (as EMIT marks beacons) for ARGV[6] seconds: if the reply
# is lost the web process spools it, and its replay is then a duplicate, neither booked nor counted again.
# Returns {winner index (1-based, 0: none), events list length, reason per skipped one}. A dry run (ARGV[7]
# '1') writes nothing and returns {0, 0, reason per contender ('' for one that may win)}.
# KEYS (one shard's): events list, events counts hash, address rate key (NONE = none), then per contender:
#       total spend, today's spend, cap key (NONE = none), its impression's seen key (NONE = none)
# ARGV: elapsed day share (every contender's: `RedisBudget._elapsed`), slack, ramp, impressions per address per
#       window, window seconds, seen seconds,
#       dry run ('1') or not ('0'), then per contender: cost, total budget, daily budget, pacing draw
#       (-1: no pacing), cap, cap window seconds, impression event json ('' = none), counts field, the same
#       event as rate limited, its field; NONE last (as for EMIT)
CHOOSE = """
local NONE = ARGV[#ARGV]
local elapsed, slack, ramp = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local limited = KEYS[3] ~= NONE and tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(ARGV[4])
local dry = ARGV[7] == '1'
local refused = {}
for i = 1, (#KEYS - 3) / 4 do
  local k, a = 4 + (i - 1) * 4, 8 + (i - 1) * 10
  local cost, tb, db, r = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local cap = tonumber(ARGV[a + 4])
  local total, day = 0, 0
  if tb >= 0 or db >= 0 then
    total = tonumber(redis.call('GET', KEYS[k]) or '0')
    day = tonumber(redis.call('GET', KEYS[k + 1]) or '0')
  end
  local why = nil
  if tb >= 0 and total >= tb then why = 'total budget spent'
  elseif db >= 0 and day >= db then why = 'daily budget spent'
  elseif r >= 0 and db > 0 then
    local lead = day / db - elapsed
    if lead > slack and r < math.min(1, (lead - slack) / ramp) then why = 'pacing: ahead of the day' end
  end
  if not why and cost > 0 and ((tb >= 0 and total + cost > tb) or (db >= 0 and day + cost > db)) then
    why = 'budget exhausted'
  end
  if not why and KEYS[k + 2] ~= NONE and tonumber(redis.call('GET', KEYS[k + 2]) or '0') >= cap then
    why = 'frequency cap reached for this reader'
  end
  if dry and not why then why = '' end
  if not why then
    if KEYS[3] ~= NONE and redis.call('INCR', KEYS[3]) == 1 then redis.call('EXPIRE', KEYS[3], ARGV[5]) end
    local event, field = ARGV[a + 6], ARGV[a + 7]
    if limited then cost, event, field = 0, ARGV[a + 8], ARGV[a + 9] end
    if cost > 0 then
      redis.call('INCRBY', KEYS[k], cost)
      redis.call('INCRBY', KEYS[k + 1], cost)
      redis.call('EXPIRE', KEYS[k + 1], 259200)
    end
    if KEYS[k + 2] ~= NONE and redis.call('INCR', KEYS[k + 2]) == 1 then
      redis.call('EXPIRE', KEYS[k + 2], ARGV[a + 5])
    end
    local len = 0
    if event ~= '' then
      if KEYS[k + 3] ~= NONE then redis.call('SET', KEYS[k + 3], '1', 'EX', ARGV[6]) end
      len = redis.call('RPUSH', KEYS[1], event)
      redis.call('HINCRBY', KEYS[2], field, 1)
      redis.call('EXPIRE', KEYS[2], 3456000)
    end
    return {i, len, unpack(refused)}
  end
  refused[#refused + 1] = why
end
return {0, 0, unpack(refused)}
"""


# Move up to ARGV[1] events from the incoming list to this job's batch list and return them, unless
# the batch list already holds events (a retry): then those are the batch. The batch is noted with
# the time it was taken (ARGV[2], ms) so one whose worker was killed is found (CLAIM_STALE).
TAKE = """
local have = redis.call('LRANGE', KEYS[2], 0, -1)
if #have > 0 then return have end
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items == 0 then return items end
for i = 1, #items, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(items, i, math.min(i + 999, #items)))
end
redis.call('LTRIM', KEYS[1], #items, -1)
redis.call('ZADD', KEYS[3], 'NX', ARGV[2], KEYS[2])
return items
"""


# Claim batches taken before ARGV[1] (ms): re-stamp them with ARGV[2] so one tick claims each once.
CLAIM_STALE = """
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 100)
for _, key in ipairs(stale) do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], key) end
return stale
"""


# Take the rate-limited aggregate for folding: rename it to the fold key and remember the fold id.
TAKE_FOLD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
"""


# Take the reach forecast's counts for folding into SQL: rename them (and the article readings sent with them)
# to the fold's keys and remember the fold id; new decisions start fresh hashes.
# KEYS: counts, articles, the fold's counts, the fold's articles, pending folds; ARGV: fold id
TAKE_REACH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[3])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('RENAME', KEYS[2], KEYS[4]) end
redis.call('SADD', KEYS[5], ARGV[1])
return 1
"""
