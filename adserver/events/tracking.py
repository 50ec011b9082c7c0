"""Signed, expiring tracking URLs for views and clicks.

A token carries the decision's identity (decision, campaign, creative, placement, topic, hook
variant), its page's site and whether that page was known (signed: a reader cannot make an unknown page's
view or click billable), and which link was clicked, never a URL: the redirect target is always looked up in the
catalog, so only a creative's registered landing URL can ever be a redirect target.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from itsdangerous.encoding import int_to_bytes

from ..infra.counters import BEACONS


class TrackingError(Exception):
    """A tracking token is forged, tampered with, expired, or for another event type."""

    def __init__(self, message: str, expired: bool = False):
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class TrackedEvent:
    event_type: str
    decision_id: str
    campaign_id: str
    creative_id: str
    placement: str
    topic: str
    hook_variant: str
    target: str = "primary"
    issued_at: float = 0.0
    site: str = ""  # the page's site ('' in a link signed before sites: `default`)
    unknown_page: bool = False  # the page was not its site's: the view and click are never billed


class _Signer(TimestampSigner):
    """itsdangerous derives the key from the secret on every call; ours never changes, so once. Its
    clock (signing and checking a link's age) is the tracker's."""

    clock: Callable[[], float] = staticmethod(time.time)

    def get_timestamp(self) -> int:
        return int(self.clock())

    def derive_key(self, secret_key=None) -> bytes:
        if secret_key is not None:
            return super().derive_key(secret_key)
        key = self.__dict__.get("_derived")
        if key is None:
            key = self._derived = super().derive_key()
        return key

    def sign_at(self, payload: bytes, stamp: bytes) -> bytes:
        """`sign(payload)` at the base64 timestamp `stamp`, byte for byte: the keyed HMAC state is built once
        and copied per token, instead of re-keying HMAC-SHA256 on every call."""
        mac = self.__dict__.get("_mac")
        if mac is None:
            mac = self._mac = hmac.new(self.derive_key(), digestmod=self.digest_method)
        value = payload + b"." + stamp
        mac = mac.copy()
        mac.update(value)
        return value + b"." + base64.urlsafe_b64encode(mac.digest()).rstrip(b"=")


class Tracker:
    """Tokens are `fields,joined,by,commas.timestamp.hmac` (itsdangerous' TimestampSigner, one salt
    per event type). Every field is a slug or a normalised topic, so no encoding step is needed:
    signing stays a few microseconds on the decision path (the URL quotes the '#' a topic may keep)."""

    def __init__(self, secret_key: str, view_ttl: int, click_ttl: int, clock: Callable[[], float] = time.time):
        self._signers = {
            kind: _Signer(secret_key, salt=f"adserver.tracking.{kind}", digest_method=hashlib.sha256)
            for kind in BEACONS
        }
        for signer in self._signers.values():
            signer.clock = clock
        self.ttl = {"view": view_ttl, "click": click_ttl}

    def token(self, event_type: str, ids: Sequence[str], target: str = "primary") -> str:
        """`ids`: decision, campaign, creative, placement, topic, hook variant, site, page known ('b') or not ('u')
        (`Decision.tracking_ids`)."""
        payload = ",".join(ids)
        if event_type == "click":
            payload += "," + target[0]  # "p" / "s"
        return self._signers[event_type].sign(payload).decode()

    def tokens(self, ids: Sequence[str], secondary: bool) -> tuple[str, str, str | None]:
        """(view, click, secondary click or None) for one decision, as `token` signs them, at one timestamp."""
        payload = ",".join(ids).encode()
        view = self._signers["view"]
        click = self._signers["click"]
        stamp = base64.urlsafe_b64encode(int_to_bytes(view.get_timestamp())).rstrip(b"=")
        return (
            view.sign_at(payload, stamp).decode(),
            click.sign_at(payload + b",p", stamp).decode(),
            click.sign_at(payload + b",s", stamp).decode() if secondary else None,
        )

    def verify(self, event_type: str, token: str) -> TrackedEvent:
        if event_type not in self._signers:
            raise TrackingError(f"unknown event type {event_type!r}")
        try:
            value, issued = self._signers[event_type].unsign(token, max_age=self.ttl[event_type], return_timestamp=True)
        except SignatureExpired:
            raise TrackingError(f"{event_type} link expired", expired=True) from None
        except BadSignature:
            raise TrackingError(f"{event_type} link signature is not valid") from None
        try:
            decision_id, campaign_id, creative_id, placement, topic, variant, *rest = value.decode().split(",")
            target = {"p": "primary", "s": "secondary"}[rest.pop()] if event_type == "click" else "primary"
            site, page = rest or ("", "b")  # a link signed before sites carries neither
            if page not in ("b", "u"):
                raise ValueError(page)
        except (ValueError, TypeError, KeyError, IndexError, UnicodeDecodeError):
            raise TrackingError(f"{event_type} link payload is malformed") from None
        return TrackedEvent(
            event_type,
            decision_id,
            campaign_id,
            creative_id,
            placement,
            topic,
            variant,
            target,
            issued.timestamp(),
            site,
            page == "u",
        )
