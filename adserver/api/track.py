"""Tracking endpoints behind the signed URLs of a decision: the view beacon and the click redirect."""

from __future__ import annotations

from flask import redirect, request
from flask.views import MethodView

from ..events import classify, tracked
from ..tracking import TrackedEvent, TrackingError
from . import Blueprint, services
from .errors import ApiError
from .schemas import ErrorSchema

blp = Blueprint("track", __name__, url_prefix="/t", description="Signed view beacons and click redirects")


def verified(event_type: str, token: str) -> TrackedEvent:
    try:
        return services().tracker.verify(event_type, token)
    except TrackingError as e:
        if e.expired:
            raise ApiError(410, "link_expired", str(e)) from None
        raise ApiError(403, "bad_signature", str(e)) from None


def count(event: TrackedEvent) -> None:
    """Record a view or click (bots/prefetch non-billable); a replay of the same link is dropped by dedupe."""
    svc = services()
    client = classify(request.remote_addr or "", request.headers, svc.settings.secret_key)
    campaign = svc.catalog.get().by_id.get(event.campaign_id)
    svc.events.record(tracked(event, client, campaign))


def landing_url(event: TrackedEvent) -> str:
    """The registered landing URL of the creative; never anything taken from the request."""
    creative = services().catalog.get().creatives.get(event.creative_id)
    if creative is None:
        raise ApiError(404, "creative_gone", "this sponsor card is no longer in the catalog")
    if event.target == "secondary" and creative.secondary_cta_url:
        return creative.secondary_cta_url
    return creative.landing_url


@blp.route("/view/<string:token>", endpoint="view")
class ViewBeacon(MethodView):
    @blp.response(204, description="Counted (at most once per decision)")
    @blp.alt_response(403, schema=ErrorSchema, description="Forged or tampered link")
    @blp.alt_response(410, schema=ErrorSchema, description="Expired link")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many beacons from this network; not counted")
    def post(self, token):
        """View beacon: the card was at least 50% visible for one continuous second."""
        count(verified("view", token))
        return "", 204, {"Cache-Control": "no-store"}

    @blp.response(204, description="Counted (at most once per decision)")
    @blp.alt_response(403, schema=ErrorSchema, description="Forged or tampered link")
    @blp.alt_response(410, schema=ErrorSchema, description="Expired link")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many beacons from this network; not counted")
    def get(self, token):
        """The same beacon as GET, for clients without `navigator.sendBeacon`."""
        count(verified("view", token))
        return "", 204, {"Cache-Control": "no-store"}


@blp.route("/click/<string:token>", endpoint="click")
class ClickRedirect(MethodView):
    @blp.response(302, description="Redirect to the creative's registered landing URL")
    @blp.alt_response(403, schema=ErrorSchema, description="Forged or tampered link")
    @blp.alt_response(404, schema=ErrorSchema, description="The creative is no longer in the catalog")
    @blp.alt_response(410, schema=ErrorSchema, description="Expired link")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many beacons from this network; not counted")
    def get(self, token):
        """Count the click and redirect to the landing URL."""
        event = verified("click", token)
        resp = redirect(landing_url(event), code=302)
        count(event)
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["Referrer-Policy"] = "no-referrer-when-downgrade"
        return resp
