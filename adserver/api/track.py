"""Tracking endpoints behind the signed URLs of a decision: the view beacon and the click redirect."""

from __future__ import annotations

from flask import redirect
from flask.views import MethodView

from ..events.event import RATE_LIMITED, from_tracking
from ..events.tracking import TrackedEvent, TrackingError
from . import Blueprint, client, services
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


def record(event: TrackedEvent) -> str:
    """Queue the view or click; a replay is accepted but not counted. Returns the sink's outcome."""
    svc = services()
    who = client()
    campaign = svc.catalog.get().by_id.get(event.campaign_id)
    return svc.events.emit(from_tracking(event, campaign, who), limit=True, campaign=campaign)


def record_view(event: TrackedEvent) -> None:
    """Over the per-address limit a view beacon is refused (429): nobody is waiting on it."""
    if record(event) == RATE_LIMITED:
        raise ApiError(429, "rate_limited", "too many tracking requests from this address; try again later")


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
    @blp.alt_response(429, schema=ErrorSchema, description="Too many requests from this address")
    def post(self, token):
        """View beacon: the card was at least 50% visible for one continuous second."""
        record_view(verified("view", token))
        return "", 204, {"Cache-Control": "no-store"}

    @blp.response(204, description="Counted (at most once per decision)")
    @blp.alt_response(403, schema=ErrorSchema, description="Forged or tampered link")
    @blp.alt_response(410, schema=ErrorSchema, description="Expired link")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many requests from this address")
    def get(self, token):
        """The same beacon as GET, for clients without `navigator.sendBeacon`."""
        record_view(verified("view", token))
        return "", 204, {"Cache-Control": "no-store"}


@blp.route("/click/<string:token>", endpoint="click")
class ClickRedirect(MethodView):
    @blp.response(302, description="Redirect to the creative's registered landing URL")
    @blp.alt_response(403, schema=ErrorSchema, description="Forged or tampered link")
    @blp.alt_response(404, schema=ErrorSchema, description="The creative is no longer in the catalog")
    @blp.alt_response(410, schema=ErrorSchema, description="Expired link")
    def get(self, token):
        """Count the click and redirect to the landing URL. Over the per-address limit the reader is still
        sent on to the advertiser; the click is counted apart (`rate_limited_clicks`), not billed."""
        event = verified("click", token)
        target = landing_url(event)
        record(event)
        resp = redirect(target, code=302)
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["Referrer-Policy"] = "no-referrer-when-downgrade"
        return resp
