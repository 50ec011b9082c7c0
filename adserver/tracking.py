"""Signed, expiring tracking URLs for views and clicks.

A token carries the decision's identity (decision, campaign, creative, placement, topic, hook
variant) and which link was clicked, never a URL: the redirect target is always looked up in the
catalog, so only a creative's registered landing URL can ever be a redirect target.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .decision import Decision

EVENT_TYPES = ("view", "click")
TARGETS = ("primary", "secondary")


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


class Tracker:
    def __init__(self, secret_key: str, view_ttl: int, click_ttl: int):
        self._serializers = {
            kind: URLSafeTimedSerializer(secret_key, salt=f"adserver.tracking.{kind}") for kind in EVENT_TYPES
        }
        self.ttl = {"view": view_ttl, "click": click_ttl}

    def token(self, decision: Decision, event_type: str, target: str = "primary") -> str:
        payload = [
            decision.id,
            decision.campaign.id,
            decision.creative.id,
            decision.context.placement,
            decision.context.topic,
            decision.hook_variant,
        ]
        if event_type == "click":
            payload.append(target[0])  # "p" / "s"
        return self._serializers[event_type].dumps(payload)

    def verify(self, event_type: str, token: str) -> TrackedEvent:
        if event_type not in self._serializers:
            raise TrackingError(f"unknown event type {event_type!r}")
        try:
            payload, issued = self._serializers[event_type].loads(
                token, max_age=self.ttl[event_type], return_timestamp=True
            )
        except SignatureExpired:
            raise TrackingError(f"{event_type} link expired", expired=True) from None
        except BadSignature:
            raise TrackingError(f"{event_type} link signature is not valid") from None
        try:
            decision_id, campaign_id, creative_id, placement, topic, variant, *rest = payload
            target = {"p": "primary", "s": "secondary"}[rest[0]] if rest else "primary"
        except (ValueError, TypeError, KeyError, IndexError):
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
        )
