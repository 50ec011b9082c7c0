"""`/v1/decisions`: every slot of one page in one request, one decision per placement, no advertiser twice."""

from __future__ import annotations

from flask import jsonify
from flask.views import MethodView

from . import Blueprint
from .decision import NOTHING_TO_MATCH_ANSWER, query_lists, run_decision
from .schemas import DecisionsQuerySchema, DecisionsResponseSchema, ErrorSchema

blp = Blueprint("decisions", __name__, url_prefix="/v1", description="Sponsor cards for several slots at once")


@blp.route("/decisions")
class DecisionsView(MethodView):
    @blp.arguments(DecisionsQuerySchema(), location="query", as_kwargs=True)
    @blp.response(200, DecisionsResponseSchema)
    @blp.alt_response(
        400, schema=ErrorSchema, description="Invalid article context or an unknown placement; `fields` names it"
    )
    @blp.alt_response(422, schema=ErrorSchema, description=NOTHING_TO_MATCH_ANSWER)
    def get(self, placements, placement=None, explain=False, keywords="", exclude="", site="", **article):
        """`GET /v1/decision` for each placement in turn, each excluding the advertisers chosen before it."""
        query_lists(article, keywords)
        seen = {a.strip() for a in exclude.split(",") if a.strip()}
        decisions = []
        for p in (p.strip() for p in placements.split(",") if p.strip()):
            # The single-slot view's own path (validation, impression, budget), so the rules live in one place.
            answer = run_decision(p, article, bool(explain), frozenset(seen), site)
            body = answer.get_json() if answer.status_code == 200 else None  # 204: no card fits
            if body is not None and body["campaign"] is not None:
                seen.add(body["campaign"]["advertiser_id"])
            decisions.append(body)
        resp = jsonify({"decisions": decisions})
        resp.headers["Cache-Control"] = "no-store"
        return resp
