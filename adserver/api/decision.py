"""`/v1/decision`: which sponsor card goes under this article."""

from __future__ import annotations

from flask import request, url_for
from flask.views import MethodView

from ..context import ArticleContext
from ..decision import Decision, Outcome, decide
from ..errors import InvalidContext
from ..events import classify, impression
from ..rendering import card_fields, render_card
from . import Blueprint, services
from .schemas import (
    DecisionQuerySchema,
    DecisionRequestSchema,
    DecisionResponseSchema,
    ErrorSchema,
    ExplainQuerySchema,
)

blp = Blueprint("decision", __name__, url_prefix="/v1", description="Sponsor card decisions")

NO_FILL = {"description": "No sponsor is eligible for this article: leave the slot empty."}


def tracking_url(kind: str, token: str) -> str:
    base = services().settings.public_url.rstrip("/")
    path = url_for(f"track.{kind}", token=token)
    return f"{base}{path}" if base else url_for(f"track.{kind}", token=token, _external=True)


def serialize(outcome: Outcome, explain: bool) -> dict:
    d: Decision = outcome.decision
    svc = services()
    click_url = tracking_url("click", svc.tracker.token(d, "click"))
    secondary = (
        tracking_url("click", svc.tracker.token(d, "click", "secondary"))
        if d.creative.secondary_cta_text and d.creative.secondary_cta_url
        else None
    )
    body = {
        "decision_id": d.id,
        "placement": d.context.placement,
        "campaign": {
            "id": d.campaign.id,
            "advertiser": d.campaign.advertiser_name,
            "advertiser_id": d.campaign.advertiser_id,
        },
        "card": card_fields(d),
        "html": render_card(d, click_url, secondary),
        "tracking": {
            "view_url": tracking_url("view", svc.tracker.token(d, "view")),
            "click_url": click_url,
            "secondary_click_url": secondary,
        },
        "score": d.score,
    }
    if explain:
        body["explain"] = explanation(outcome)
    return body


def explanation(outcome: Outcome) -> dict:
    chosen = outcome.decision.campaign.id if outcome.decision else None
    return {
        "ranker": outcome.ranker,
        "catalog_version": services().catalog.get().version,
        "candidates": [
            {
                "campaign": s.campaign.id,
                "priority": s.campaign.priority,
                "score": s.score,
                "parts": s.parts,
                "reasons": list(s.reasons),
                "chosen": s.campaign.id == chosen,
            }
            for s in outcome.ranked
        ],
        "rejected": [{"campaign": r.campaign_id, "reason": r.reason} for r in outcome.rejected],
    }


def run_decision(placement: str, article: dict, explain: bool):
    svc = services()
    if placement not in svc.settings.placements:
        raise InvalidContext(
            f"unknown placement {placement!r}",
            {"placement": [f"Must be one of: {', '.join(svc.settings.placements)}."]},
        )
    ctx = ArticleContext.create(placement, **article)
    outcome = decide(ctx, svc.catalog.get(), ranker=svc.ranker, budget=svc.budget)
    if outcome.decision is None:
        return "", 204, {"Cache-Control": "no-store"}
    body = serialize(outcome, explain)
    client = classify(request.remote_addr or "", request.headers, svc.settings.secret_key)
    svc.events.record(impression(outcome.decision, client))
    return body, 200, {"Cache-Control": "no-store"}


@blp.route("/decision")
class DecisionView(MethodView):
    @blp.arguments(ExplainQuerySchema, location="query", as_kwargs=True)
    @blp.arguments(DecisionRequestSchema)
    @blp.response(200, DecisionResponseSchema)
    @blp.alt_response(204, description=NO_FILL["description"])
    @blp.alt_response(
        400,
        schema=ErrorSchema,
        description="Invalid article context; `fields` names each bad field",
    )
    @blp.alt_response(413, schema=ErrorSchema, description="Body larger than 16 KiB")
    @blp.alt_response(415, schema=ErrorSchema, description="Body is not application/json")
    def post(self, body, explain):
        """Choose the sponsor card for an article."""
        return run_decision(body["placement"], body["article"], explain)

    @blp.arguments(DecisionQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, DecisionResponseSchema)
    @blp.alt_response(204, description=NO_FILL["description"])
    @blp.alt_response(
        400,
        schema=ErrorSchema,
        description="Invalid article context; `fields` names each bad field",
    )
    def get(self, placement, explain=False, keywords="", **article):
        """The same decision from query parameters, for simple embeds (`keywords=a,b`)."""
        article["keywords"] = [k.strip() for k in keywords.split(",") if k.strip()]
        return run_decision(placement, article, bool(explain))
