"""Who is asking, by Bearer token: an advertiser (its own reports) or an operator (everything, explain)."""

from __future__ import annotations

from flask import request

from ..audience.client import ip_hash
from ..catalog import tokens
from . import services
from .errors import ApiError

AUTH_FAILURES_PER_MINUTE = 10


def owner() -> tokens.TokenOwner:
    """The token's owner; 401 on a bad token, 429 after too many bad tokens.

    Failures are counted per address, and apart per address and token prefix when the prefix is a live
    token's: a guesser is held to AUTH_FAILURES_PER_MINUTE whether it varies whole tokens or the secret
    behind a known prefix, while another advertiser's valid token from the same address still works."""
    svc = services()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    prefix = tokens.prefix_of(token)
    address_key = svc.keys.auth_failures(ip_hash(request.remote_addr or "", svc.settings.secret_key))
    prefix_key = f"{address_key}:{prefix}"
    address_failures, prefix_failures = (int(n or 0) for n in svc.redis.mget(address_key, prefix_key))
    known = None  # whether the prefix is a live token's, asked of SQL only when it matters
    if prefix_failures >= AUTH_FAILURES_PER_MINUTE:
        raise _too_many()
    if address_failures >= AUTH_FAILURES_PER_MINUTE:
        known = tokens.live_prefix(svc.db, prefix)
        if not known:
            raise _too_many()
    found = tokens.authenticate(svc.db, token)
    if found is None:
        known = tokens.live_prefix(svc.db, prefix) if known is None else known
        key = prefix_key if known else address_key
        pipe = svc.redis.pipeline(transaction=True)  # one key: one slot, even in a cluster
        pipe.incr(key)
        pipe.expire(key, 60, nx=True)
        pipe.execute()
        raise ApiError(401, "unauthorized", "a valid `Authorization: Bearer <token>` header is required")
    return found


def _too_many() -> ApiError:
    return ApiError(429, "rate_limited", "too many failed authentications; try again in a minute")


def operator() -> tokens.TokenOwner:
    """An operator token's owner; 401 as `owner`, 403 for an advertiser's token."""
    who = owner()
    if not who.is_operator:
        raise ApiError(403, "forbidden", "this needs an operator token (`adserver tokens create --operator`)")
    return who
