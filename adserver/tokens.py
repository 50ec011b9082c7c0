"""API tokens for advertisers (their own reports) and operators: shown once, stored as SHA-256 only.

A token is `ads_` + 32 random URL-safe bytes. The table keeps its hash and a short prefix (enough to
name it in `tokens list` and `tokens revoke --prefix`), never the plaintext.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from . import storage
from .errors import NotFound

TOKEN_PREFIX = "ads_"
PREFIX_LENGTH = 12  # "ads_" + 8 random characters: shown in listings, identifies a token to revoke


@dataclass(frozen=True)
class TokenOwner:
    """Who a valid token speaks for: an advertiser (own data only) or an operator (everything)."""

    advertiser_id: str | None
    is_operator: bool
    prefix: str


@dataclass(frozen=True)
class TokenInfo:
    """A token as listings show it: never the secret, only its prefix."""

    prefix: str
    advertiser_id: str | None
    label: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def _require_advertiser(s, advertiser_id: str | None) -> None:
    if advertiser_id is not None and s.get(storage.Advertiser, advertiser_id) is None:
        raise NotFound(f"no advertiser {advertiser_id!r}")


def create(db: storage.Database, advertiser_id: str | None, label: str = "") -> str:
    """A new token for the advertiser (None: an operator token); returns the plaintext, shown once."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.session() as s:
        _require_advertiser(s, advertiser_id)
        s.add(
            storage.ApiToken(
                advertiser_id=advertiser_id,
                token_hash=hash_token(plaintext),
                prefix=plaintext[:PREFIX_LENGTH],
                label=label,
            )
        )
    return plaintext


def list_tokens(db: storage.Database, advertiser_id: str | None = None, operator: bool = False) -> list[TokenInfo]:
    """Tokens of one advertiser, or operator tokens (`operator=True`), or all when neither is given."""
    with db.sessionmaker() as s:
        _require_advertiser(s, advertiser_id)
        q = select(storage.ApiToken).order_by(storage.ApiToken.created_at, storage.ApiToken.id)
        if advertiser_id is not None:
            q = q.where(storage.ApiToken.advertiser_id == advertiser_id)
        elif operator:
            q = q.where(storage.ApiToken.advertiser_id.is_(None))
        return [TokenInfo(t.prefix, t.advertiser_id, t.label, t.created_at, t.revoked_at) for t in s.scalars(q)]


def revoke(db: storage.Database, advertiser_id: str | None, prefix: str | None = None) -> int:
    """Revoke the owner's token with this prefix, or all its active tokens when prefix is None.

    advertiser_id None means operator tokens. Returns how many were revoked; NotFound when a
    given prefix matches no active token of that owner.
    """
    with db.session() as s:
        _require_advertiser(s, advertiser_id)
        owner = (
            storage.ApiToken.advertiser_id.is_(None)
            if advertiser_id is None
            else storage.ApiToken.advertiser_id == advertiser_id
        )
        q = select(storage.ApiToken).where(owner, storage.ApiToken.revoked_at.is_(None))
        if prefix is not None:
            q = q.where(storage.ApiToken.prefix == prefix)
        rows = s.scalars(q).all()
        if prefix is not None and not rows:
            whose = f"advertiser {advertiser_id!r}" if advertiser_id else "the operator"
            raise NotFound(f"no active token with prefix {prefix!r} for {whose}")
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
        return TokenOwner(advertiser_id=row.advertiser_id, is_operator=row.advertiser_id is None, prefix=row.prefix)
