"""Who is asking, by Bearer token: an advertiser (its own reports and campaigns), a site's publisher (that site's
reports, nothing else) or an operator (everything, explain)."""

from __future__ import annotations

from flask import request

from ..audience.client import ip_hash
from ..catalog import api_tokens
from . import services
from .errors import ApiError

AUTH_FAILURES_PER_MINUTE = 10


def owner() -> api_tokens.TokenOwner:
    """An advertiser's or an operator's token's owner; 401 and 429 as `reader`, 403 for a publisher's token.

    Every endpoint but the reports asks this, so a publisher's token reaches nothing it was not made for."""
    who = reader()
    if who.is_publisher:
        raise ApiError(403, "forbidden", "a publisher's token reads its site's reports (`/v1/reports`) only")
    return who


def reader() -> api_tokens.TokenOwner:
    """Any valid token's owner (publishers too: the reports only); 401 on a bad token, 429 after too many bad
    tokens from the address.

    Failures are counted per address. Past AUTH_FAILURES_PER_MINUTE the address gets 429 for every token that
    is not a live one, whatever its prefix (a live prefix and an unknown one answer alike) and without asking
    SQL, while another advertiser's valid token from the same address (an office, a NAT) still works."""
    svc = services()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    address_key = svc.keys.auth_failures(ip_hash(request.remote_addr or "", svc.settings.secret_key))
    if int(svc.redis.get(address_key) or 0) >= AUTH_FAILURES_PER_MINUTE and token not in svc.live_tokens:
        raise _too_many()
    found = api_tokens.authenticate(svc.db, token)
    if found is None:
        pipe = svc.redis.pipeline(transaction=True)  # one key: one slot, even in a cluster
        pipe.incr(address_key)
        pipe.expire(address_key, 60, nx=True)
        pipe.execute()
        raise ApiError(401, "unauthorized", "a valid `Authorization: Bearer <token>` header is required")
    return found


def _too_many() -> ApiError:
    return ApiError(429, "rate_limited", "too many failed authentications; try again in a minute")


def operator() -> api_tokens.TokenOwner:
    """An operator token's owner; 401 as `owner`, 403 for an advertiser's or a publisher's token."""
    who = owner()
    if not who.is_operator:
        raise ApiError(403, "forbidden", "this needs an operator token (`adserver tokens create --operator`)")
    return who
