"""Lua scripts on Redis, called the cheap way: the request path runs one per decision and per beacon.

redis-py's `Script.__call__` reaches the server through an argument-deprecation wrapper, the
connection pool (checked out and back in, under a lock) and the retry helper on every call: on the
2-core bench machine that is ~140 µs of CPU per call against ~75 µs for packing, sending and reading
the same EVALSHA on a connection kept by the calling thread (`bench/redis_call.py`). This keeps
redis-py's connection, packer and parser and skips the rest. Semantics are unchanged: no retry
(a script that books must run once at most, see `services.redis_client`), a connection that failed
mid-call is closed by redis-py before the error is raised, and NOSCRIPT (a restarted Redis) loads the
script and runs it once more, which is safe because NOSCRIPT means it did not run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import redis
from redis.exceptions import NoScriptError


class LuaScript:
    def __init__(self, client: redis.Redis, source: str):
        self.client = client
        self.source = source
        self.sha = client.register_script(source).sha
        self._local = threading.local()

    def _connection(self):
        # Outside the pool's books: a thread that ends (a server spawning one per request) drops its
        # connection with it, and redis-py closes a connection when it is collected.
        local = self._local
        if getattr(local, "pid", None) != os.getpid():  # a fork must not share its parent's socket
            local.conn, local.pid = self.client.connection_pool.make_connection(), os.getpid()
        return local.conn

    def __call__(self, keys: Sequence = (), args: Sequence = ()):
        conn = self._connection()
        try:
            conn.send_command("EVALSHA", self.sha, len(keys), *keys, *args)
            return conn.read_response()
        except NoScriptError:
            conn.send_command("SCRIPT", "LOAD", self.source)
            conn.read_response()
            conn.send_command("EVALSHA", self.sha, len(keys), *keys, *args)
            return conn.read_response()
