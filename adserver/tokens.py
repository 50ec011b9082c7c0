"""Advertiser and operator API tokens. Only a SHA-256 of each token is stored.

Tokens are 32 random bytes (`ads_` + urlsafe base64), so a plain SHA-256 is enough: there is
nothing to brute-force, and a unique index on the hash makes lookup one query.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from . import storage
from .errors import NotFound

PREFIX = "ads_"


@dataclass(frozen=True)
class TokenOwner:
    advertiser_id: str | None  # None: an operator token, sees every advertiser

    @property
    def is_operator(self) -> bool:
        return self.advertiser_id is None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(db: storage.Database, advertiser_id: str | None, label: str = "") -> str:
    """A new token for an advertiser (or an operator when None); the plaintext is returned once."""
    token = PREFIX + secrets.token_urlsafe(32)
    with db.session() as s:
        if advertiser_id is not None and s.get(storage.Advertiser, advertiser_id) is None:
            raise NotFound(f"no advertiser {advertiser_id!r}")
        s.add(storage.ApiToken(advertiser_id=advertiser_id, token_hash=digest(token), prefix=token[:10], label=label))
    return token


def revoke(db: storage.Database, advertiser_id: str | None, prefix: str | None = None) -> int:
    """Revoke an advertiser's tokens (those starting with `prefix`, or all); returns how many."""
    with db.session() as s:
        q = select(storage.ApiToken).where(storage.ApiToken.revoked_at.is_(None))
        q = q.where(
            storage.ApiToken.advertiser_id.is_(None)
            if advertiser_id is None
            else storage.ApiToken.advertiser_id == advertiser_id
        )
        rows = [r for r in s.scalars(q) if prefix is None or r.prefix.startswith(prefix[:10])]
        for r in rows:
            r.revoked_at = storage.utcnow()
        return len(rows)


def list_tokens(db: storage.Database, advertiser_id: str | None = None) -> list[storage.ApiToken]:
    with db.sessionmaker() as s:
        q = select(storage.ApiToken).order_by(storage.ApiToken.id)
        if advertiser_id is not None:
            q = q.where(storage.ApiToken.advertiser_id == advertiser_id)
        return list(s.scalars(q))


def authenticate(db: storage.Database, token: str) -> TokenOwner | None:
    """The owner of a live token, else None. The hash comparison is constant-time."""
    if not token or not token.startswith(PREFIX) or len(token) > 100:
        return None
    wanted = digest(token)
    with db.sessionmaker() as s:
        row = s.scalar(select(storage.ApiToken).where(storage.ApiToken.token_hash == wanted))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, wanted):
        return None
    return TokenOwner(row.advertiser_id)
