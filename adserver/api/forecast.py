"""`POST /v1/forecast`: how many impressions a campaign's targeting would match a day, before it buys them."""

from __future__ import annotations

from datetime import UTC, datetime

from flask.views import MethodView

from ..forecast.query import ForecastRequestSchema, ask
from . import Blueprint, services
from .campaigns import JSON_BODY, REFUSED, TOO_LARGE, acting_for, documented_errors, json_body, policy, request_body
from .schemas import ActingForSchema, ForecastSchema

blp = Blueprint(
    "forecast",
    __name__,
    url_prefix="/v1",
    description="Reach forecast: the impressions a targeting matches a day, from the decisions of the last 28 days",
)


@blp.route("/forecast")
class Forecast(MethodView):
    @blp.arguments(ActingForSchema, location="query", as_kwargs=True)
    @blp.doc(
        **request_body(ForecastRequestSchema, "A campaign's targeting (as in the campaign), with price, budget, dates")
    )
    @blp.alt_response(200, schema=ForecastSchema, success=True, description="The forecast")
    @documented_errors(JSON_BODY, TOO_LARGE, REFUSED)
    def post(self, advertiser=None):
        """Expected matching impressions per day (with the range the window's days spread over) and how many other
        campaigns compete for the same articles at the same or a higher tier. Counted from every billable decision
        of the last 28 whole days, whoever won; matched with the serving rules (`approximations` says where the
        figure simplifies). It names no other advertiser and no other campaign: the competition is a count."""
        svc = services()
        today = datetime.now(UTC).date()
        result = ask(
            svc.db,
            svc.catalog.get(),
            svc.forecast_window.get(today),
            acting_for(advertiser, required=True),
            json_body(),
            policy(),
            today,
        )
        return result, 200, {"Cache-Control": "no-store"}
