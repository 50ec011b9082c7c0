"""marshmallow schemas of the public API: they validate requests and are the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from apispec.ext.marshmallow.common import resolve_schema_cls
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from ..catalog import files, urls
from ..catalog.validation import SLUG
from ..errors import Refusal
from ..events import reporting
from ..events.delivery import STATES
from ..infra import counters
from ..serving.explain import ExplainSchema
from ..serving.snapshot import SENTIMENTS

MAX_KEYWORDS = 50
MAX_KEYWORD_LENGTH = 100
MAX_READER_LENGTH = 128
MAX_EXCLUDE = 20
MAX_SUMMARY_LENGTH = 5000  # the JSON body's documented limit; GET /v1/decision said 2000
MAX_CATEGORIES = 20
CATEGORIES_DESCRIPTION = (
    "Sensitive categories the publisher tags the article with (crime, disasters, war...; others are ignored). "
    "Read from the text as well, whether sent or not"
)


_placements: ContextVar[tuple[str, ...]] = ContextVar("placements")


@contextmanager
def placements_allowed(placements: Sequence[str]) -> Iterator[None]:
    """The publisher's placements (settings), for the decision schemas loaded inside: the API's parser and
    `adserver decide` both load through here, so both refuse the same placements the same way."""
    token = _placements.set(tuple(placements))
    try:
        yield
    finally:
        _placements.reset(token)


def known_placement(value: str, field_name: str = "_schema") -> None:
    allowed = _placements.get()
    if value not in allowed:
        raise ValidationError(f"Must be one of: {', '.join(allowed)}.", field_name=field_name)


class Placement(fields.String):
    """One of this deployment's placements (settings): the document lists them (`document_rules`)."""

    def __init__(self, **kwargs):
        super().__init__(validate=[validate.Length(min=1, max=64), known_placement], **kwargs)


class PlacementList(fields.String):
    """Comma-separated placements, each one of this deployment's, at most MAX_SLOTS."""


class ArticleFieldsSchema(Schema):
    """The article fields both ways of asking for a decision share (a JSON body, a query string):
    declared once, so their limits cannot drift apart. `keywords` and `categories` differ (a list, a comma
    string)."""

    class Meta:
        unknown = EXCLUDE  # publishers send what their CMS has; extra fields are ignored

    id = fields.String(validate=validate.Length(max=200), metadata={"description": "Publisher's article id"})
    url = fields.Url(schemes={"http", "https"}, validate=validate.Length(max=2000), metadata={"pattern": urls.PATTERN})
    title = fields.String(validate=validate.Length(max=500), metadata={"example": "Japan's race for physical AI"})
    topic = fields.String(validate=validate.Length(max=100), metadata={"example": "artificial-intelligence"})
    summary = fields.String(validate=validate.Length(max=MAX_SUMMARY_LENGTH))
    sentiment = fields.String(
        validate=validate.OneOf(SENTIMENTS),
        metadata={"description": "Without it, the sentiment is estimated from the title and summary"},
    )
    source = fields.String(validate=validate.Length(max=200))
    language = fields.String(
        validate=validate.Regexp(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$", error="Not a language tag like 'en'.")
    )
    reader = fields.String(
        validate=validate.Length(max=MAX_READER_LENGTH),
        metadata={"description": "Publisher-provided anonymous reader id for frequency caps (never a cookie)."},
    )


NOTHING_TO_MATCH = Refusal("Give at least one of topic, keywords or title.")
# The rule above as the document states it for a JSON article (query parameters cannot say "one of").
SOMETHING_TO_MATCH = {
    "anyOf": [
        {"required": ["topic"], "properties": {"topic": {"pattern": r"\S"}}},
        {"required": ["title"], "properties": {"title": {"pattern": r"\S"}}},
        {"required": ["keywords"], "properties": {"keywords": {"minItems": 1}}},
    ]
}


def _needs_something_to_match(data: dict, keywords: list) -> None:
    """Well formed but nothing to read: the API answers 422 (`Parser.handle_error`), the CLI names it."""
    if not ((data.get("topic") or "").strip() or (data.get("title") or "").strip() or keywords):
        raise ValidationError(NOTHING_TO_MATCH, field_name="_schema")


class ArticleSchema(ArticleFieldsSchema):
    OPENAPI = SOMETHING_TO_MATCH

    keywords = fields.List(
        fields.String(validate=validate.Length(max=MAX_KEYWORD_LENGTH)),
        validate=validate.Length(max=MAX_KEYWORDS),
        metadata={"example": ["robotics", "japan", "nvidia"]},
    )
    categories = fields.List(
        fields.String(validate=validate.Length(max=MAX_KEYWORD_LENGTH)),
        validate=validate.Length(max=MAX_CATEGORIES),
        metadata={"description": CATEGORIES_DESCRIPTION, "example": ["crime"]},
    )

    @validates_schema
    def _check(self, data, **kwargs):
        _needs_something_to_match(data, data.get("keywords"))


SITE = {
    "description": "The publisher's site id (`adserver sites list`). Only a page whose host (from `Origin`, else "
    "`Referer`, else `article.url`) is one of that site's domains is billed; another page gets a card that is never "
    "billed (or, with UNKNOWN_PAGES=refuse, a 204). Without it, the site whose domains hold the page's host. A "
    "server calling on a reader's behalf sends no `Origin`: it must send `article.url`.",
    "example": "regional-north",
}


class DecisionRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    placement = Placement(required=True, metadata={"example": "article-footer"})
    site = fields.String(validate=validate.Length(max=64), load_default="", metadata=SITE)
    article = fields.Nested(ArticleSchema, required=True)
    exclude = fields.List(
        fields.String(validate=validate.Length(max=64)),
        validate=validate.Length(max=MAX_EXCLUDE),
        load_default=list,
        metadata={"description": "Advertiser ids already shown on this page (one sponsor per page)"},
    )


def comma_list(items: int, length: int | None = None) -> str:
    """The document's pattern for a comma-separated parameter of at most `items` items (blank ones included)."""
    item = "[^,]*" if length is None else f"[^,]{{0,{length}}}"
    return f"^{item}(?:,{item}){{0,{items - 1}}}$"


class DecisionQuerySchema(ArticleFieldsSchema):
    """`GET /v1/decision` for simple embeds: the same context as flat query parameters."""

    PER_REQUEST = ("reader",)  # differs between readers of one page: not part of the parse memo's key

    placement = Placement(load_default="article-footer")
    site = fields.String(validate=validate.Length(max=64), load_default="", metadata=SITE)
    keywords = fields.String(
        validate=validate.Length(max=MAX_KEYWORDS * (MAX_KEYWORD_LENGTH + 1)),
        metadata={
            "description": "Comma-separated keywords",
            "example": "robotics,japan",
            "pattern": comma_list(MAX_KEYWORDS, MAX_KEYWORD_LENGTH),
        },
    )
    categories = fields.String(
        validate=validate.Length(max=MAX_CATEGORIES * (MAX_KEYWORD_LENGTH + 1)),
        metadata={
            "description": "Comma-separated: " + CATEGORIES_DESCRIPTION,
            "example": "crime",
            "pattern": comma_list(MAX_CATEGORIES, MAX_KEYWORD_LENGTH),
        },
    )
    explain = fields.Boolean(load_default=False, metadata={"description": "Add the score's parts per candidate"})
    exclude = fields.String(
        load_default="",
        validate=validate.Length(max=MAX_EXCLUDE * 65),
        metadata={
            "description": "Comma-separated advertiser ids already shown on this page",
            "example": "acme",
            "pattern": comma_list(MAX_EXCLUDE),
        },
    )

    @validates_schema
    def _check(self, data, **kwargs):
        if len([a for a in data.get("exclude", "").split(",") if a.strip()]) > MAX_EXCLUDE:
            raise ValidationError(f"Longer than maximum length {MAX_EXCLUDE}.", field_name="exclude")
        kws = [k for k in (data.get("keywords") or "").split(",") if k.strip()]
        if len(kws) > MAX_KEYWORDS:
            raise ValidationError(f"Longer than maximum length {MAX_KEYWORDS}.", field_name="keywords")
        if any(len(k) > MAX_KEYWORD_LENGTH for k in kws):
            raise ValidationError(f"A keyword is longer than {MAX_KEYWORD_LENGTH}.", field_name="keywords")
        if len([c for c in (data.get("categories") or "").split(",") if c.strip()]) > MAX_CATEGORIES:
            raise ValidationError(f"Longer than maximum length {MAX_CATEGORIES}.", field_name="categories")
        _needs_something_to_match(data, kws)


class CampaignRefSchema(Schema):
    id = fields.String(required=True)
    advertiser = fields.String(required=True)
    advertiser_id = fields.String(required=True)


class CtaSchema(Schema):
    text = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "The landing URL (for display; links use tracking)"})


class CardSchema(Schema):
    creative_id = fields.String(required=True)
    advertiser = fields.String(required=True)
    tagline = fields.String(required=True)
    hook = fields.String(required=True, metadata={"description": "Hook line chosen for the article's context"})
    hook_variant = fields.String(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    code_lines = fields.List(fields.String(), required=True)
    cta = fields.Nested(CtaSchema, required=True)
    secondary_cta = fields.Nested(CtaSchema, allow_none=True, required=True)
    fine_print = fields.String(required=True)
    image_url = fields.String(allow_none=True, required=True)
    landing_host = fields.String(required=True)


class TrackingSchema(Schema):
    view_url = fields.String(required=True, metadata={"description": "Beacon: call once when 50% visible for 1 s"})
    click_url = fields.String(required=True, metadata={"description": "Counts the click, redirects to the landing URL"})
    secondary_click_url = fields.String(allow_none=True, required=True)


NO_CARD = " null only in the answer to `?explain=1` when no card fits (without explain that is a 204)."


class DecisionResponseSchema(Schema):
    """The chosen card. With `?explain=1` and no card ("why no ad"), the card fields are null and `explain` says
    why each campaign was not eligible."""

    decision_id = fields.String(required=True, allow_none=True, metadata={"description": "Unique id;" + NO_CARD})
    placement = fields.String(required=True)
    campaign = fields.Nested(CampaignRefSchema, required=True, allow_none=True, metadata={"description": NO_CARD})
    card = fields.Nested(CardSchema, required=True, allow_none=True, metadata={"description": NO_CARD})
    html = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The card as ready HTML; every field escaped;" + NO_CARD},
    )
    tracking = fields.Nested(TrackingSchema, required=True, allow_none=True, metadata={"description": NO_CARD})
    score = fields.Float(required=True, allow_none=True, metadata={"description": NO_CARD})
    explain = fields.Nested(ExplainSchema)


class ErrorDetailSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True)


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class HealthSchema(Schema):
    status = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.String())


GROUP = "|".join(reporting.GROUPS)


class ReportQuerySchema(Schema):
    """`GET /v1/reports`: a UTC date range (inclusive, at most 366 days) and the grouping."""

    class Meta:
        unknown = EXCLUDE

    from_ = fields.Date(required=True, data_key="from", metadata={"example": "2026-11-01"})
    to = fields.Date(required=True, metadata={"example": "2026-11-30"})
    group_by = fields.String(
        load_default="day",
        validate=validate.Length(max=100),
        metadata={
            "description": f"Comma-separated, any of {', '.join(reporting.GROUPS)}, each at most once",
            "example": "day,country",
            "pattern": f"^(?: *(?:{GROUP}) *(?:, *(?:{GROUP}) *)*)?$",
        },
    )
    campaign = fields.String(validate=SLUG, metadata={"description": "Only this campaign"})
    advertiser = fields.String(
        validate=SLUG,
        metadata={"description": "Only this advertiser: operator tokens, and publisher tokens (on their site)"},
    )
    site = fields.String(
        validate=SLUG,
        metadata={
            "description": f"Only this site (`{counters.DEFAULT_SITE}`, `{counters.UNKNOWN}`: pages of no catalog "
            "site). A publisher token reads its own site only: another is 404"
        },
    )
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


# The counts kept apart (never billed) come from `counters`, like the rollup columns they are read from.
ReportRowSchema = Schema.from_dict(
    {
        "day": fields.String(metadata={"description": "When grouped by day (UTC, ISO date)"}),
        "campaign": fields.String(),
        "creative": fields.String(),
        "placement": fields.String(),
        "topic": fields.String(),
        "country": fields.String(
            metadata={"description": f"The reader's, ISO 3166-1 alpha-2, or `{counters.UNKNOWN}`", "example": "DE"}
        ),
        "device": fields.String(
            metadata={"description": f"The reader's: {', '.join(counters.DEVICES)} or `{counters.UNKNOWN}`"}
        ),
        "site": fields.String(
            metadata={"description": f"The page's site, `{counters.DEFAULT_SITE}` or `{counters.UNKNOWN}` (no site)"}
        ),
        "advertiser": fields.String(metadata={"description": "The campaign's advertiser (its id)"}),
        "impressions": fields.Integer(required=True, metadata={"description": "Billable impressions"}),
        "viewable_impressions": fields.Integer(
            required=True, metadata={"description": "Billable views: 50% visible for 1 s"}
        ),
        "view_rate": fields.Float(required=True, metadata={"description": "viewable_impressions / impressions"}),
        "clicks": fields.Integer(required=True, metadata={"description": "Billable clicks"}),
        "ctr": fields.Float(required=True, metadata={"description": "clicks / impressions"}),
        "spend": fields.Float(
            metadata={"description": "In `currency`: advertiser and operator tokens (a publisher's shows earnings)"}
        ),
        "earnings": fields.Dict(
            keys=fields.String(),
            values=fields.Float(),
            metadata={
                "description": "The sites' part of the spend (spend × each site's revenue share), by ISO 4217 "
                "currency, never added across currencies: publisher and operator tokens",
                "example": {"EUR": 12.5},
            },
        ),
        **{
            column: fields.Integer(required=True, metadata={"description": counters.DESCRIPTIONS[column]})
            for column in counters.APART
        },
    },
    name="ReportRowSchema",
)


class ReportSchema(Schema):
    viewer = fields.String(
        required=True,
        validate=validate.OneOf(list(reporting.VIEWERS)),
        metadata={"description": "Whose token asked, which decides the money shown: spend, earnings or both"},
    )
    advertiser = fields.String(allow_none=True, required=True, metadata={"description": "null: every advertiser"})
    advertiser_name = fields.String(allow_none=True, required=True, metadata={"description": "null: every advertiser"})
    currency = fields.String(
        allow_none=True,
        required=True,
        metadata={
            "description": "ISO 4217 currency of `spend` (the advertiser's); null when the report spans "
            "advertisers paying in different currencies (narrow it with advertiser=ID; `earnings` names each)",
            "example": "EUR",
        },
    )
    site = fields.String(allow_none=True, required=True, metadata={"description": "null: every site"})
    site_name = fields.String(allow_none=True, required=True, metadata={"description": "null: every site"})
    group_by = fields.List(fields.String(), required=True)
    from_ = fields.String(required=True, data_key="from")
    to = fields.String(required=True)
    rows = fields.List(fields.Nested(ReportRowSchema), required=True)
    totals = fields.Nested(ReportRowSchema, required=True)
    data_as_of = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Newest event persisted, ISO 8601 in UTC with its offset (+00:00)"},
    )


MAX_SLOTS = 10


class DecisionsQuerySchema(DecisionQuerySchema):
    """`GET /v1/decisions`: the slots of one page in one request (the article context once)."""

    placements = PlacementList(
        required=True,
        validate=validate.Length(min=1, max=MAX_SLOTS * 65),
        metadata={"description": "Comma-separated placements in the page's order", "example": "article-footer,sidebar"},
    )

    @validates_schema
    def _check_slots(self, data, **kwargs):
        slots = [p.strip() for p in data.get("placements", "").split(",") if p.strip()]
        if len(slots) > MAX_SLOTS:
            raise ValidationError(f"Longer than maximum length {MAX_SLOTS}.", field_name="placements")
        for slot in slots:
            known_placement(slot, "placement")  # named as `/v1/decision` names it


class DecisionsResponseSchema(Schema):
    decisions = fields.List(
        fields.Nested(DecisionResponseSchema, allow_none=True),
        required=True,
        metadata={"description": "One per placement, in order: its card, or null where nothing is eligible"},
    )


class AdvertiserSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class AdvertisersSchema(Schema):
    advertisers = fields.List(
        fields.Nested(AdvertiserSchema),
        required=True,
        metadata={"description": "Every advertiser for an operator token; the token's own for an advertiser's"},
    )
    operator = fields.Boolean(required=True, metadata={"description": "Whether the token is an operator's"})


def schema_name(schema) -> str:
    """OpenAPI component names: the catalog file's schemas (the self-service API's bodies) are prefixed
    `Catalog`, so its `Cta` and `Advertiser` do not collide with the decision and report APIs' own."""
    cls = resolve_schema_cls(schema)
    name = cls.__name__.removesuffix("Schema")
    if isinstance(schema, Schema) and schema.partial:  # a merge patch's body: every field optional
        name += "Patch"
    elif isinstance(schema, Schema) and "id" in schema.exclude:  # a draft: not stored, so without an id
        name += "Draft"
    return f"Catalog{name}" if cls.__module__ == files.__name__ else name


def document_rules(placements: Sequence[str]) -> Callable[..., dict]:
    """An apispec attribute function: this deployment's placements, and each field class's own `OPENAPI`
    rules (a URL's or a card text's pattern), so that what the document calls valid the server takes."""
    choice = "|".join(re.escape(p) for p in placements)
    one, many = {"enum": list(placements)}, {"pattern": f"^ *(?:{choice}) *(?:, *(?:{choice}) *){{0,{MAX_SLOTS - 1}}}$"}

    def rules(converter, field, ret: dict, **kwargs) -> dict:
        if isinstance(field, Placement):
            return one
        if isinstance(field, PlacementList):
            return many
        if isinstance(field, fields.Dict) and field.key_field is not None:  # the keys' own limits (OpenAPI 3.1)
            key = converter.field2property(field.key_field)
            return {"propertyNames": {k: v for k, v in key.items() if k in ("minLength", "maxLength", "pattern")}}
        return dict(getattr(field, "OPENAPI", {}))

    return rules


def document_schema_rules(spec) -> None:
    """What a whole schema promises beyond its fields (`OPENAPI`), written into its component."""
    for cls in (ArticleSchema,):
        spec.components.schemas[schema_name(cls)].update(cls.OPENAPI)


def numeric_bounds(converter, field, ret: dict, **kwargs) -> dict:
    """An apispec attribute function: it writes a Decimal field's bounds as Decimals, which JSON gets as strings
    ("0.0000"); OpenAPI wants numbers."""
    return {k: float(v) for k, v in ret.items() if k in ("minimum", "maximum") and isinstance(v, Decimal)}


class ReviewSchema(Schema):
    """Where an advertiser's own change stands (`adserver review`): the approved version serves meanwhile."""

    state = fields.String(
        required=True,
        validate=validate.OneOf(["approved", "pending", "rejected"]),
        metadata={"description": "pending: waits for an operator; rejected: see `reason`"},
    )
    reason = fields.String(required=True, allow_none=True, metadata={"description": "The operator's refusal"})
    fields_ = fields.List(
        fields.String(), required=True, data_key="fields", metadata={"description": "What waits ('new': all)"}
    )


class OwnCreativeInCampaignSchema(files.CreativeSchema):
    review = fields.Nested(ReviewSchema, dump_only=True)


class OwnCampaignSchema(files.CampaignSchema):
    """A campaign as the self-service API returns it: the catalog file's format with what waits for review
    applied, its advertiser, and where the review stands."""

    advertiser_id = fields.String(dump_only=True)
    review = fields.Nested(ReviewSchema, dump_only=True)
    creatives = fields.List(fields.Nested(OwnCreativeInCampaignSchema), required=True)


class OwnCampaignsSchema(Schema):
    campaigns = fields.List(fields.Nested(OwnCampaignSchema), required=True)


class OwnCreativeSchema(files.CreativeSchema):
    campaign_id = fields.String(dump_only=True)
    review = fields.Nested(ReviewSchema, dump_only=True)


class ActingForSchema(Schema):
    """Operator tokens act for any advertiser: `advertiser=ID` says which (advertisers' tokens: ignored)."""

    class Meta:
        unknown = EXCLUDE

    advertiser = fields.String(
        validate=SLUG,
        metadata={"description": "Operator tokens: the advertiser acted for (advertisers' own tokens ignore it)"},
    )


class PreviewQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    topic = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "Show the hook written for this topic (its `hook_variants`), else the default"},
    )


class PreviewSchema(Schema):
    card = fields.Nested(CardSchema, required=True)
    html = fields.String(required=True, metadata={"description": "The card as serving renders it, escaped"})


class LimitsSchema(Schema):
    advertiser_id = fields.String(required=True)
    currency = fields.String(required=True)
    max_total_budget = fields.Float(
        allow_none=True, required=True, metadata={"description": "Cap on the sum of total budgets; null: none allowed"}
    )
    max_daily_budget = fields.Float(
        allow_none=True, required=True, metadata={"description": "Cap on the sum of daily budgets; null: none allowed"}
    )
    min_cpm = fields.Float(allow_none=True, required=True, metadata={"description": "null: CPM is not offered"})
    min_cpc = fields.Float(allow_none=True, required=True, metadata={"description": "null: CPC is not offered"})
    min_relevance = fields.Float(
        required=True, metadata={"description": "The lowest targeting.min_relevance its campaigns may set"}
    )
    max_keywords = fields.Integer(required=True, metadata={"description": "Keywords a campaign may name"})


class FiguresSchema(Schema):
    """What was delivered in a period (the daily rollups: billable traffic only)."""

    impressions = fields.Integer(required=True)
    viewable_impressions = fields.Integer(required=True)
    view_rate = fields.Float(required=True, metadata={"description": "viewable_impressions / impressions (0..1)"})
    clicks = fields.Integer(required=True)
    ctr = fields.Float(required=True, metadata={"description": "clicks / impressions (0..1)"})
    spend = fields.Float(required=True, metadata={"description": "In the advertiser's `currency`"})


def _period(text: str) -> fields.Nested:
    return fields.Nested(FiguresSchema, required=True, metadata={"description": text})


TODAY, LAST_7_DAYS, TOTAL = "Today (UTC)", "The last 7 UTC days, today included", "Since the campaign began"


class CreativeDeliverySchema(Schema):
    creative_id = fields.String(required=True)
    today = _period(TODAY)
    last_7_days = _period(LAST_7_DAYS)
    total = _period(TOTAL)


class BudgetAmountsSchema(Schema):
    total = fields.Float(required=True, allow_none=True, metadata={"description": "null: none"})
    daily = fields.Float(required=True, allow_none=True, metadata={"description": "null: none"})


class CampaignDeliverySchema(Schema):
    campaign_id = fields.String(required=True)
    state = fields.String(
        required=True,
        validate=validate.OneOf(list(STATES)),
        metadata={"description": "Where it stands now: its review, status, dates, budgets and pacing"},
    )
    state_text = fields.String(required=True, metadata={"description": "`state` in words, as the page shows it"})
    budget = fields.Nested(BudgetAmountsSchema, required=True)
    today = _period(TODAY)
    last_7_days = _period(LAST_7_DAYS)
    total = _period(TOTAL)
    creatives = fields.List(fields.Nested(CreativeDeliverySchema), required=True)


class DeliverySchema(Schema):
    advertiser_id = fields.String(required=True)
    currency = fields.String(required=True, metadata={"description": "Of every amount (ISO 4217)"})
    day = fields.Date(required=True, metadata={"description": "Today, as the figures count it (UTC)"})
    campaigns = fields.List(fields.Nested(CampaignDeliverySchema), required=True)


class ForecastPerDaySchema(Schema):
    expected = fields.Integer(required=True, metadata={"description": "Matching impressions a day: the window's mean"})
    low = fields.Integer(required=True, metadata={"description": "The 10th percentile of the window's days"})
    high = fields.Integer(required=True, metadata={"description": "The 90th percentile of the window's days"})


class ForecastFlightSchema(Schema):
    days = fields.Integer(required=True, metadata={"description": "Days from starts_on to ends_on"})
    expected = fields.Integer(required=True, metadata={"description": "per_day.expected over those days"})


class ForecastSchema(Schema):
    per_day = fields.Nested(ForecastPerDaySchema, required=True)
    competing = fields.Integer(
        required=True,
        metadata={"description": "Other campaigns eligible on the same articles and readers, at the tier or above"},
    )
    days = fields.Integer(required=True, metadata={"description": "Days of recorded decisions read (0: none yet)"})
    first_day = fields.Date(required=True, allow_none=True)
    last_day = fields.Date(required=True, allow_none=True)
    flight = fields.Nested(ForecastFlightSchema, required=True, allow_none=True)
    daily_budget_buys = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "Impressions a day the daily budget pays for at the CPM price (null: not CPM)"},
    )
    approximations = fields.List(
        fields.String(), required=True, metadata={"description": "Where the figure simplifies, in words"}
    )
