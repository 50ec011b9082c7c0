"""`GET /v1/advertisers`: whom a token may report on, by name (the /reports page's advertiser picker)."""

from __future__ import annotations

from flask.views import MethodView

from ..events import reporting
from . import Blueprint, services
from .auth import owner
from .schemas import AdvertisersSchema, ErrorSchema

blp = Blueprint("advertisers", __name__, url_prefix="/v1", description="Advertisers a token may see")


@blp.route("/advertisers")
class Advertisers(MethodView):
    @blp.response(200, AdvertisersSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="Missing, unknown or revoked token")
    @blp.alt_response(403, schema=ErrorSchema, description="A publisher's token (it reads its site's reports only)")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many failed authentications")
    def get(self):
        """Every advertiser for an operator token (each one's `advertiser=ID` for /v1/reports); the token's own
        for an advertiser's."""
        who = owner()
        return {
            "advertisers": reporting.advertisers(services().db, None if who.is_operator else who.advertiser_id),
            "operator": who.is_operator,
        }
