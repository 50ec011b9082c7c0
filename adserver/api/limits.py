"""Per-client rate limits on `/t/*` (flask-limiter, Redis storage, fails open when Redis is down).

Over the limit the beacon or click gets a 429 and is NOT recorded at all: the request never reaches the
view, so nothing is queued, and a later genuine request for the same link can still count once.
The limit key is a salted hash of the client address, so Redis never holds a raw IP either.
"""

from __future__ import annotations

import hashlib

from flask import Flask, request
from flask_limiter import Limiter

from ..settings import Settings


def init_app(app: Flask, settings: Settings, blueprint) -> Limiter:
    salt = settings.secret_key.encode()

    def client_key() -> str:
        return hashlib.sha256(salt + (request.remote_addr or "").encode()).hexdigest()[:32]

    limiter = Limiter(
        client_key,
        app=app,
        storage_uri=settings.redis_url,
        storage_options={"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        strategy="fixed-window",
        key_prefix="adserver:limits",
        swallow_errors=True,  # Redis down: serve the request (fail open), never a 500
        headers_enabled=False,
    )
    limiter.limit(settings.track_rate_limit)(blueprint)
    return limiter
