"""Advertiser self-service: `/v1/campaigns` and `/v1/creatives` (Bearer token; its own campaigns only).

Bodies are the catalog file's campaigns and creatives, validated by its schema (`self_service`); updates are
JSON merge patches. Operator tokens act for any advertiser (`advertiser=ID` to list or create).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from flask import request
from flask.views import MethodView
from marshmallow import missing

from ..catalog import self_service
from ..catalog.files import CampaignSchema, CreativeSchema
from ..catalog.policy import RelevancePolicy
from ..events import delivery
from ..events.pacing import RedisBudget
from ..infra import keys
from . import Blueprint, services
from .auth import owner
from .errors import ApiError
from .schemas import (
    ActingForSchema,
    DeliverySchema,
    ErrorSchema,
    LimitsSchema,
    OwnCampaignSchema,
    OwnCampaignsSchema,
    OwnCreativeSchema,
    PreviewQuerySchema,
    PreviewSchema,
)

blp = Blueprint(
    "campaigns",
    __name__,
    url_prefix="/v1",
    description="Advertiser self-service: an advertiser's own campaigns and creatives. Changes are validated as "
    "the catalog file is, bounded by the limits the operator sets (`GET /v1/limits`), and served within the "
    "catalog poll interval. Another advertiser's campaign or creative answers 404, as a missing one does.",
)


def request_body(schema, description: str) -> dict:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


NEW_CAMPAIGN = request_body(CampaignSchema, "A campaign with at least one creative, as in the catalog file")
NEW_CREATIVE = request_body(CreativeSchema, "A creative, as in the catalog file")
DRAFT_CREATIVE = request_body(
    CreativeSchema(exclude=("id", "status")),
    "A creative not saved yet, as in the catalog file (an `id` or `status` sent is ignored)",
)
CAMPAIGN_PATCH = request_body(
    CampaignSchema(partial=True, exclude=("id", "creatives")),
    "A JSON merge patch (RFC 7396) of the campaign: the fields to change; null resets one to its default. "
    "Not `creatives` (change those one by one) nor `id`. `priority` and `house` are the operator's.",
)
CREATIVE_PATCH = request_body(
    CreativeSchema(partial=True, exclude=("id",)), "A JSON merge patch (RFC 7396) of the creative (not its `id`)"
)
ERRORS = (
    (400, "A field the document refuses (or a body that is not a JSON object); `fields` names each"),
    (401, "Missing, unknown or revoked token"),
    (403, "A publisher's token: it reads its site's reports only"),
    (404, "No such campaign or creative (or not yours)"),
    (429, "Too many failed authentications; for a change, more than 60 changes a minute by one advertiser's token"),
)


# A change the document cannot judge: it depends on this deployment's settings and the advertiser's limits.
REFUSED = (
    422,
    "Well formed, but not allowed here: the operator's relevance policy or your limits (`GET /v1/limits`), or an "
    "archived campaign; `fields` names each",
)
JSON_BODY = (415, "Body is not application/json")
TOO_LARGE = (413, "Body larger than the server's limit (MAX_BODY_BYTES, 16 KiB by default)")
TAKEN = (409, "An id already in use")


def documented_errors(*extra: tuple[int, str]):
    def wrap(view):
        for status, text in (*ERRORS, *extra):
            view = blp.alt_response(status, schema=ErrorSchema, description=text)(view)
        return view

    return wrap


# Each change makes every web process reload the catalog at its next poll and start its per-article plans
# afresh: an advertiser's token may make this many a minute (operators are not limited).
WRITES_PER_MINUTE = 60


def acting_for(advertiser: str | None, required: bool = False) -> str | None:
    """The advertiser a request acts for: the token's own, or an operator's `advertiser=ID` (None: everyone)."""
    who = owner()
    if not who.is_operator:
        return who.advertiser_id
    if required and not advertiser:
        # 422: the document cannot say that `advertiser` is required of operators only
        raise ApiError(422, "refused", "an operator token names the advertiser", {"advertiser": ["Required."]})
    return advertiser


def writing(advertiser: str | None = None, required: bool = False) -> str | None:
    """`acting_for` for a change: 429 past WRITES_PER_MINUTE changes of one advertiser's token."""
    who = owner()
    if who.is_operator:
        return acting_for(advertiser, required)
    key = keys.self_service_writes(who.advertiser_id)
    pipe = services().redis.pipeline(transaction=True)  # one key: one slot, even in a cluster
    pipe.incr(key)
    pipe.expire(key, 60, nx=True)
    if pipe.execute()[0] > WRITES_PER_MINUTE:
        raise ApiError(429, "rate_limited", f"more than {WRITES_PER_MINUTE} changes a minute; try again in a minute")
    return who.advertiser_id


def json_body():
    """The raw JSON body (the core validates it with the catalog file's schema); 415 and 400 as elsewhere."""
    data = blp.ARGUMENTS_PARSER.load_json(request, None)
    return None if data is missing else data


def db():
    return services().db


def policy() -> RelevancePolicy:
    return RelevancePolicy.from_settings(services().settings)


def changed(result: dict) -> dict:
    """After a write, this process serves the new catalog now (the others at their next poll)."""
    services().catalog.refresh()
    return result


@blp.route("/campaigns")
class Campaigns(MethodView):
    @blp.arguments(ActingForSchema, location="query", as_kwargs=True)
    @blp.alt_response(200, schema=OwnCampaignsSchema, success=True, description="The campaigns with their creatives")
    @documented_errors()
    def get(self, advertiser=None):
        """The token's campaigns (an operator's: everyone's, or `advertiser`'s)."""
        return {"campaigns": self_service.list_campaigns(db(), acting_for(advertiser))}

    @blp.arguments(ActingForSchema, location="query", as_kwargs=True)
    @blp.doc(**NEW_CAMPAIGN)
    @blp.alt_response(201, schema=OwnCampaignSchema, success=True, description="The new campaign")
    @documented_errors(TAKEN, JSON_BODY, TOO_LARGE, REFUSED)
    def post(self, advertiser=None):
        """Create a campaign (with its creatives)."""
        result = self_service.create_campaign(db(), writing(advertiser, required=True), json_body(), policy())
        return changed(result), 201


@blp.route("/campaigns/<campaign_id>")
class Campaign(MethodView):
    @blp.alt_response(200, schema=OwnCampaignSchema, success=True, description="The campaign with its creatives")
    @documented_errors()
    def get(self, campaign_id):
        """One of the token's campaigns."""
        return self_service.get_campaign(db(), acting_for(None), campaign_id)

    @blp.doc(**CAMPAIGN_PATCH)
    @blp.alt_response(200, schema=OwnCampaignSchema, success=True, description="The campaign as changed")
    @documented_errors(JSON_BODY, TOO_LARGE, REFUSED)
    def patch(self, campaign_id):
        """Change a campaign: name, dates, pricing, budget, pacing, frequency cap, targeting, status."""
        return changed(self_service.update_campaign(db(), writing(), campaign_id, json_body(), policy()))


def _status_route(kind: str, status: str, verb: str):
    """POST /v1/{kind}s/<id>/{verb}: pause or resume a campaign or a creative."""
    setter = self_service.set_campaign_status if kind == "campaign" else self_service.set_creative_status
    schema = OwnCampaignSchema if kind == "campaign" else OwnCreativeSchema

    class StatusView(MethodView):
        @blp.alt_response(200, schema=schema, success=True, description=f"The {kind} as changed")
        @documented_errors(REFUSED)
        def post(self, **path):
            (ident,) = path.values()
            return changed(setter(db(), writing(), ident, status))

    StatusView.post.__doc__ = (
        f"{verb.title()} a {kind}" + (" (its creatives stop showing; its reports stay)." if status == "paused" else ".")
        if kind == "campaign"
        else f"{verb.title()} one creative (the campaign's others keep showing)."
    )
    StatusView.__name__ = f"{kind.title()}{verb.title()}"
    blp.route(f"/{kind}s/<{kind}_id>/{verb}")(StatusView)


for _kind in ("campaign", "creative"):
    _status_route(_kind, "paused", "pause")
    _status_route(_kind, "active", "resume")


@blp.route("/campaigns/<campaign_id>/creatives")
class Creatives(MethodView):
    @blp.doc(**NEW_CREATIVE)
    @blp.alt_response(201, schema=OwnCampaignSchema, success=True, description="The campaign with the new creative")
    @documented_errors(TAKEN, JSON_BODY, TOO_LARGE, REFUSED)
    def post(self, campaign_id):
        """Add a creative to a campaign."""
        result = self_service.create_creative(db(), writing(), campaign_id, json_body())
        return changed(result), 201


@blp.route("/creatives/<creative_id>")
class Creative(MethodView):
    @blp.alt_response(200, schema=OwnCreativeSchema, success=True, description="The creative")
    @documented_errors()
    def get(self, creative_id):
        """One of the token's creatives."""
        return self_service.get_creative(db(), acting_for(None), creative_id)

    @blp.doc(**CREATIVE_PATCH)
    @blp.alt_response(200, schema=OwnCreativeSchema, success=True, description="The creative as changed")
    @documented_errors(JSON_BODY, TOO_LARGE, REFUSED)
    def patch(self, creative_id):
        """Change a creative (its texts, calls to action, image, hook variants, status)."""
        return changed(self_service.update_creative(db(), writing(), creative_id, json_body()))


@blp.route("/creatives/<creative_id>/preview")
class Preview(MethodView):
    @blp.arguments(PreviewQuerySchema, location="query", as_kwargs=True)
    @blp.alt_response(200, schema=PreviewSchema, success=True, description="The card and its HTML")
    @documented_errors()
    def get(self, creative_id, topic=None):
        """The creative rendered as the card, paused or not. Counts nothing: no impression, no tracking URLs
        (its links go straight to the landing URLs)."""
        result = self_service.preview(db(), acting_for(None), creative_id, topic)
        return result, 200, {"Cache-Control": "no-store"}


@blp.route("/preview")
class DraftPreview(MethodView):
    @blp.arguments(PreviewQuerySchema, location="query", as_kwargs=True)
    @blp.doc(**DRAFT_CREATIVE)
    @blp.alt_response(200, schema=PreviewSchema, success=True, description="The card and its HTML")
    @documented_errors(JSON_BODY, TOO_LARGE)
    def post(self, topic=None):
        """A creative not saved yet rendered as the card (the /advertiser form's preview as it is typed), with
        the same checks and escaping as a saved one's. Stores and counts nothing."""
        acting_for(None)  # any valid token: it reads no one's data
        return self_service.preview_draft(json_body(), topic), 200, {"Cache-Control": "no-store"}


@blp.route("/delivery")
class Delivery(MethodView):
    @blp.arguments(ActingForSchema, location="query", as_kwargs=True)
    @blp.alt_response(200, schema=DeliverySchema, success=True, description="Each campaign's delivery and state")
    @documented_errors()
    def get(self, advertiser=None):
        """Delivery at a glance: per campaign and creative, impressions, viewable rate, clicks, CTR and spend
        today, over the last 7 days and in total (the reports' daily rollups, billable traffic only), with the
        budgets, and where each campaign stands now in words (`state`: its review, status, dates, budgets and
        pacing). The token's own campaigns only (an operator's: `advertiser`'s)."""
        advertiser_id = acting_for(advertiser, required=True)
        svc = services()
        gate = RedisBudget(svc.redis, key_space=svc.keys)  # read only: what the decision path sees
        today = datetime.now(UTC).date()
        return {
            "advertiser_id": advertiser_id,
            "currency": self_service.currency(db(), advertiser_id),
            "day": today.isoformat(),
            "campaigns": delivery.delivery(db(), gate, svc.catalog.get(), advertiser_id, today),
        }


@blp.route("/limits")
class Limits(MethodView):
    @blp.arguments(ActingForSchema, location="query", as_kwargs=True)
    @blp.alt_response(200, schema=LimitsSchema, success=True, description="The limits and their currency")
    @documented_errors()
    def get(self, advertiser=None):
        """What the operator allows the advertiser's own changes (`adserver advertisers limits`): caps on the sums
        of its campaigns' budgets, floors on its prices and on the relevance its campaigns need."""
        advertiser_id = acting_for(advertiser, required=True)
        limits = self_service.get_limits(db(), advertiser_id)
        amounts = {k: None if v is None else float(v) for k, v in asdict(limits).items()}
        return {
            "advertiser_id": advertiser_id,
            "currency": self_service.currency(db(), advertiser_id),
            **amounts,
            "min_relevance": policy().min_relevance if limits.min_relevance is None else amounts["min_relevance"],
            "max_keywords": policy().max_keywords,
        }
