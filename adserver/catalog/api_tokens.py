"""API tokens for advertisers (their own reports and campaigns), publishers (their site's reports) and
operators: shown once, stored as SHA-256 only.

A token is `ads_` + 32 random URL-safe bytes. The table keeps its hash and a short prefix (enough to
name it in `tokens list` and `tokens revoke --prefix`), never the plaintext.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..errors import AdserverError, NotFound
from ..infra import storage

TOKEN_PREFIX = PREFIX = "ads_"
PREFIX_LENGTH = 12  # "ads_" + 8 random characters: shown in listings, identifies a token to revoke
MIN_REVOKE_PREFIX = 8  # "ads_" + 4: a shorter prefix would too easily name someone else's token


@dataclass(frozen=True)
class TokenOwner:
    """Who a valid token speaks for: an advertiser (own data only), a site's publisher (that site's reports
    only) or, with neither, an operator (everything)."""

    advertiser_id: str | None
    site_id: str | None = None

    @property
    def is_operator(self) -> bool:
        return self.advertiser_id is None and self.site_id is None

    @property
    def is_publisher(self) -> bool:
        return self.site_id is not None

    @property
    def kind(self) -> str:
        return "publisher" if self.is_publisher else "operator" if self.is_operator else "advertiser"


@dataclass(frozen=True)
class TokenInfo:
    """A token as listings show it: never the secret, only its prefix."""

    prefix: str
    advertiser_id: str | None
    label: str
    created_at: datetime
    revoked_at: datetime | None
    site_id: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


digest = hash_token


def _require_owner(s, advertiser_id: str | None, site_id: str | None) -> None:
    """NotFound for an advertiser or a site the catalog does not have; at most one of them owns a token."""
    if advertiser_id is not None and site_id is not None:
        raise AdserverError("a token belongs to an advertiser or to a site, not both")
    if advertiser_id is not None and s.get(storage.Advertiser, advertiser_id) is None:
        raise NotFound(f"no advertiser {advertiser_id!r}")
    if site_id is not None and s.get(storage.Site, site_id) is None:
        raise NotFound(f"no site {site_id!r}")


def _owned_by(advertiser_id: str | None, site_id: str | None):
    """The tokens of that owner: both None means the operator's."""
    t = storage.ApiToken
    if advertiser_id is not None:
        return t.advertiser_id == advertiser_id
    if site_id is not None:
        return t.site_id == site_id
    return t.advertiser_id.is_(None) & t.site_id.is_(None)


def _whose(advertiser_id: str | None, site_id: str | None) -> str:
    return f"advertiser {advertiser_id!r}" if advertiser_id else f"site {site_id!r}" if site_id else "the operator"


def create(db: storage.Database, advertiser_id: str | None, label: str = "", site_id: str | None = None) -> str:
    """A new token for the advertiser, or for the site's publisher (`site_id`), or, with neither, the operator;
    returns the plaintext, shown once. An archived site gets none: its pages no longer earn."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.session() as s:
        _require_owner(s, advertiser_id, site_id)
        if site_id is not None and s.get(storage.Site, site_id).status != "active":
            raise AdserverError(f"site {site_id!r} is archived; bring it back with `adserver sites set --status`")
        s.add(
            storage.ApiToken(
                advertiser_id=advertiser_id,
                site_id=site_id,
                token_hash=hash_token(plaintext),
                prefix=plaintext[:PREFIX_LENGTH],
                label=label,
            )
        )
    return plaintext


def list_tokens(
    db: storage.Database, advertiser_id: str | None = None, operator: bool = False, site_id: str | None = None
) -> list[TokenInfo]:
    """Tokens of one advertiser, or of one site, or operator tokens (`operator=True`), or all when none is given."""
    with db.sessionmaker() as s:
        _require_owner(s, advertiser_id, site_id)
        q = select(storage.ApiToken).order_by(storage.ApiToken.created_at, storage.ApiToken.id)
        if advertiser_id is not None or site_id is not None or operator:
            q = q.where(_owned_by(advertiser_id, site_id))
        return [
            TokenInfo(t.prefix, t.advertiser_id, t.label, t.created_at, t.revoked_at, t.site_id) for t in s.scalars(q)
        ]


def revoke(
    db: storage.Database, advertiser_id: str | None, prefix: str | None = None, site_id: str | None = None
) -> int:
    """Revoke the owner's one token whose prefix starts with `prefix`, or all its live tokens when None.

    The owner is the advertiser, or the site (`site_id`), or with neither the operator. Returns how many were
    revoked. A prefix that matches no live token of that owner is NotFound; one matching several is refused as
    ambiguous.
    """
    if prefix is not None and len(prefix) < MIN_REVOKE_PREFIX:
        raise AdserverError(f"token prefix {prefix!r} is too short: give at least {MIN_REVOKE_PREFIX} characters")
    with db.session() as s:
        _require_owner(s, advertiser_id, site_id)
        owned = _owned_by(advertiser_id, site_id)
        rows = s.scalars(select(storage.ApiToken).where(owned, storage.ApiToken.revoked_at.is_(None))).all()
        if prefix is not None:
            rows = [r for r in rows if r.prefix.startswith(prefix[:PREFIX_LENGTH])]
            whose = _whose(advertiser_id, site_id)
            if not rows:
                raise NotFound(f"no live token with prefix {prefix!r} for {whose}")
            if len(rows) > 1:
                raise AdserverError(f"prefix {prefix!r} matches {len(rows)} tokens of {whose}; give more characters")
        now = storage.utcnow()
        for row in rows:
            row.revoked_at = now
        return len(rows)


def authenticate(db: storage.Database, plaintext: str | None) -> TokenOwner | None:
    """The owner of a valid, unrevoked token; None for anything else (unknown, revoked, malformed).

    The lookup is by hash, so the database never compares attacker-chosen plaintext, and the hash
    is compared once more in constant time.
    """
    if not plaintext or not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    digest = hash_token(plaintext)
    with db.sessionmaker() as s:
        row = s.scalar(select(storage.ApiToken).where(storage.ApiToken.token_hash == digest))
        if row is None or not hmac.compare_digest(row.token_hash, digest) or row.revoked_at is not None:
            return None
        return TokenOwner(row.advertiser_id, row.site_id)


class LiveTokens:
    """The hashes of the unrevoked tokens, read from SQL at most once every `seconds` (the table is small).

    An address that sent too many bad tokens is answered 429 for any token not in here, without a SQL query,
    while the valid tokens of others behind the same address still go through."""

    def __init__(self, db: storage.Database, seconds: float = 5.0, clock=time.monotonic):
        self.db, self.seconds, self.clock = db, seconds, clock
        self._hashes: frozenset[str] = frozenset()
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def __contains__(self, plaintext: str) -> bool:
        if self._read_at is None or self.clock() - self._read_at >= self.seconds:
            with self._lock:
                if self._read_at is None or self.clock() - self._read_at >= self.seconds:
                    with self.db.sessionmaker() as s:
                        q = select(storage.ApiToken.token_hash).where(storage.ApiToken.revoked_at.is_(None))
                        self._hashes = frozenset(s.scalars(q))
                    self._read_at = self.clock()
        return hash_token(plaintext) in self._hashes
