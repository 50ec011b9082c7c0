"""Explain: why this card, and why not each other campaign, in one shape.

The schemas below are the shape's one definition: `explanation` dumps a decision's `Outcome` through them, the
API documents its `?explain=1` answer with them, and `adserver decide --explain/--json` prints what they dump.
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema, fields, validate

from .context import ArticleContext
from .decision import Outcome
from .eligibility import Rejection
from .matching import FLOOR_WORDS, Fit, How
from .ranking import Scored
from .safety import CATEGORY_FLOOR, TONE_FLOOR
from .sites import DEFAULT, Page


class _Rounded(fields.Float):
    """A float cut to 4 places: what a person reads, and stable to compare."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else round(value, 4)


class _Pairs(fields.Dict):
    """A dict dumped from the (key, value) pairs a frozen context keeps."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(dict(value), attr, obj, **kwargs)


class MatchSchema(Schema):
    """Whether a campaign's targeting matches the article, and why: what an operator tunes `min_relevance` by."""

    eligible = fields.Boolean(required=True)
    how = fields.Enum(How, by_value=True, required=True, metadata={"description": "How it matched, or did not"})
    topic = fields.String(required=True, metadata={"description": "The targeted topic or keyword that matched best"})
    confidence = _Rounded(required=True, metadata={"description": "How sure the match is, 0..1"})
    floor = fields.Float(required=True, metadata={"description": "The confidence it needed"})
    floor_source = fields.String(
        attribute="floor_from",
        required=True,
        validate=validate.OneOf(list(FLOOR_WORDS)),
        metadata={
            "description": "campaign: its own `min_relevance` (self-service may set it no lower than the "
            "operator's floor, `GET /v1/limits`); default: the serving default for how it matched; publisher: "
            "the publisher's topic is in another section, so a reading must be surer (0.6)"
        },
    )
    reason = fields.String(required=True)


class CandidateSchema(Schema):
    campaign = fields.String(attribute="scored.campaign.id", required=True)
    priority = fields.Integer(attribute="scored.campaign.priority", required=True)
    house = fields.Boolean(
        attribute="scored.campaign.house",
        required=True,
        metadata={"description": "A house card: serves only when nothing paid is eligible"},
    )
    score = fields.Float(attribute="scored.score", required=True)
    parts = fields.Dict(attribute="scored.parts", keys=fields.String(), values=fields.Float(), required=True)
    reasons = fields.List(fields.String(), attribute="scored.reasons", required=True)
    chosen = fields.Boolean(required=True)
    match = fields.Nested(MatchSchema, allow_none=True, required=True)


class RejectedSchema(Schema):
    campaign = fields.String(attribute="rejection.campaign_id", required=True)
    reason = fields.String(attribute="rejection.reason", required=True)
    match = fields.Nested(MatchSchema, allow_none=True, required=True, metadata={"description": "null: refused before"})


class ArticleReadSchema(Schema):
    """The article and its reader as the targeting rules saw them."""

    sentiment = fields.String(
        required=True, metadata={"description": "positive, neutral, negative or '' (none, or read below the floor)"}
    )
    sentiment_source = fields.String(
        required=True, metadata={"description": "sent (by the publisher), read (estimated from the text) or none"}
    )
    sentiment_confidence = _Pairs(
        keys=fields.String(),
        values=fields.Float(),
        required=True,
        metadata={"description": "How sure the text reads as each tone, 0..1 (empty unless read)"},
    )
    sentiment_floor = fields.Float(
        required=True,
        dump_default=TONE_FLOOR,
        metadata={"description": "Below it the read tone is unknown and excludes nothing"},
    )
    categories = fields.List(
        fields.String(), required=True, metadata={"description": "Sensitive categories: sent, or read at the floor"}
    )
    category_confidence = _Pairs(
        keys=fields.String(),
        values=fields.Float(),
        required=True,
        metadata={"description": "How sure the text reads as each sensitive category, 0..1"},
    )
    category_floor = fields.Float(required=True, dump_default=CATEGORY_FLOOR)
    country = fields.String(required=True, metadata={"description": "ISO 3166-1 alpha-2, '' when unknown"})
    device = fields.String(required=True, metadata={"description": "mobile, tablet, desktop or '' when unknown"})


class PageSchema(Schema):
    """The page as billing saw it (`serving.sites.page`)."""

    site = fields.String(required=True, metadata={"description": "Its site: a catalog site, default or unknown"})
    host = fields.String(required=True, metadata={"description": "From Origin, else Referer, else article.url"})
    billed = fields.Boolean(
        attribute="known", required=True, metadata={"description": "Whether its events bill (its host is its site's)"}
    )
    reason = fields.String(
        attribute="why", required=True, metadata={"description": "Why it is not billed ('' when it is)"}
    )


class ExplainSchema(Schema):
    ranker = fields.String(required=True)
    catalog_version = fields.Integer(required=True)
    article = fields.Nested(ArticleReadSchema, required=True)
    candidates = fields.List(fields.Nested(CandidateSchema), required=True)
    rejected = fields.List(fields.Nested(RejectedSchema), required=True)
    page = fields.Nested(PageSchema)


@dataclass(frozen=True)
class _Candidate:
    scored: Scored
    chosen: bool
    match: Fit | None


@dataclass(frozen=True)
class _Rejected:
    rejection: Rejection
    match: Fit | None


_EXPLAIN = ExplainSchema()
NO_PAGE = Page(DEFAULT, "", True)  # a catalog without sites: every page is the implicit site's, billed


def explanation(outcome: Outcome, catalog_version: int, page: Page | None = None) -> dict:
    """Every ranked candidate with its score parts, and every refused campaign with its reason
    (the API's `?explain=1` and `adserver decide --explain/--json` show the same thing)."""
    chosen = outcome.decision.campaign.id if outcome.decision else None
    fits = outcome.fits
    return _EXPLAIN.dump(
        {
            "ranker": outcome.ranker,
            "catalog_version": catalog_version,
            "article": outcome.article or ArticleContext(""),
            "candidates": [_Candidate(s, s.campaign.id == chosen, fits.get(s.campaign.id)) for s in outcome.ranked],
            "rejected": [_Rejected(r, fits.get(r.campaign_id)) for r in outcome.rejected],
        }
        | ({"page": page} if page is not None else {})
    )
