"""Catalog files (YAML or JSON): validation with marshmallow, idempotent upsert, export.

The file nests campaigns under advertisers and creatives under campaigns, each with a stable
`id` slug, so importing the same file twice changes nothing. Every bad field is reported with its
path (`advertisers.0.campaigns.1.budget.daily`) and nothing is imported when anything is wrong.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

import yaml
from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..audience.devices import DEVICES
from ..audience.geo import COUNTRIES, REGIONS
from ..errors import CatalogError, Refusal
from ..infra import storage
from ..infra.progress import SILENT, Progress
from ..serving.categories import categories
from ..serving.schedule import DAYS, parse_span
from ..serving.snapshot import CREATIVE_STATUSES, PACING, PRICING_MODELS, SENTIMENTS, STATUSES
from . import sites
from .urls import BIDI_CONTROLS, NO_BIDI, WebUrl
from .validation import SLUG, Strict, WholeNumber, load

COUNTRY = validate.OneOf(sorted(COUNTRIES), error="Not an ISO 3166-1 alpha-2 country code in capitals, like 'DE'.")


def _span(value: str) -> None:
    try:
        parse_span(value)
    except ValueError:
        raise ValidationError("Use hours of the day 'HH-HH' from 00 to 24, start before end, like '07-10'.") from None


def _category(value: str) -> None:
    if value not in categories():
        raise ValidationError(f"Not a sensitive category; use one of: {', '.join(categories())}.")


def _zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError("Not an IANA time zone, like 'Europe/Berlin' or 'UTC'.")


# '07-10' as the document states it: two-digit hours from 00 to 24, the start before the end.
SPAN_PATTERN = "^(?:" + "|".join(f"{a:02d}-(?:{'|'.join(f'{b:02d}' for b in range(a + 1, 25))})" for a in range(24))
SPAN_PATTERN += ")$"


class ScheduleSchema(Strict):
    """When the campaign runs, on its own clock (`adserver.serving.schedule`)."""

    days = fields.List(fields.String(validate=validate.OneOf(DAYS)), load_default=list)  # empty: every day
    hours = fields.List(  # '07-10' (end exclusive); empty: all day
        fields.String(validate=_span, metadata={"pattern": SPAN_PATTERN}), load_default=list
    )
    timezone = fields.String(load_default="UTC", validate=_zone, metadata={"enum": sorted(available_timezones())})


class TargetingSchema(Strict):
    topics = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=list)
    keywords = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=list)
    exclude_keywords = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=list)
    exclude_sentiments = fields.List(fields.String(validate=validate.OneOf(SENTIMENTS)), load_default=list)
    placements = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list)
    languages = fields.List(
        fields.String(validate=validate.Regexp(r"^[a-z]{2,3}$", error="Use a language code like 'en'.")),
        load_default=list,
    )
    # How sure the topic read from an article's text must be (0..1) before a campaign with `topics` may serve
    # there; a publisher's own topic that matches needs no floor. Default: `serving.matching.MIN_RELEVANCE`.
    min_relevance = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0, max=1))
    # The reader's device, from the User-Agent (`adserver.audience.devices`); empty: every device.
    devices = fields.List(fields.String(validate=validate.OneOf(DEVICES)), load_default=list)
    # The reader's country (`adserver.audience.geo`): ISO 3166-1 alpha-2 codes and named regions (`geo.REGIONS`). A
    # campaign naming any of them does not serve readers whose country is unknown.
    countries = fields.List(fields.String(validate=COUNTRY), load_default=list)
    regions = fields.List(fields.String(validate=validate.OneOf(sorted(REGIONS))), load_default=list)
    exclude_countries = fields.List(fields.String(validate=COUNTRY), load_default=list)
    schedule = fields.Nested(ScheduleSchema, load_default=None, allow_none=True)  # none: every hour of every day
    # Brand safety: sensitive categories (`serving.safety`) the campaign never appears on, whether the publisher
    # tags the article with one or the text reads as one.
    exclude_categories = fields.List(
        fields.String(validate=_category, metadata={"enum": list(categories())}), load_default=list
    )
    # Site ids (`catalog.sites`): where it may serve (empty: every site), and where not. Checked per request.
    sites = fields.List(fields.String(validate=SLUG), load_default=list)
    exclude_sites = fields.List(fields.String(validate=SLUG), load_default=list)


# Prices and budgets in the advertiser's currency, to 4 places: bounded so that every amount the document allows
# is one the database's NUMERIC columns and Decimal's 28 digits hold.
MONEY = validate.Range(min=0, max=10**12)


class PricingSchema(Strict):
    model = fields.String(required=True, validate=validate.OneOf(PRICING_MODELS))
    price = fields.Decimal(required=True, places=4, validate=MONEY)


class BudgetSchema(Strict):
    total = fields.Decimal(load_default=None, allow_none=True, places=4, validate=MONEY)
    daily = fields.Decimal(load_default=None, allow_none=True, places=4, validate=MONEY)

    @validates_schema(skip_on_field_errors=False)
    def _daily_within_total(self, data, **kwargs):
        if data.get("total") is not None and data.get("daily") is not None and data["daily"] > data["total"]:
            raise ValidationError(Refusal("The daily budget exceeds the total budget."), field_name="daily")


class FrequencyCapSchema(Strict):
    impressions = WholeNumber(required=True, validate=validate.Range(min=1, max=1000))
    hours = WholeNumber(load_default=24, validate=validate.Range(min=1, max=24 * 30))


class CardText(fields.String):
    """Text the card shows: no bidirectional control characters, which reorder how it reads (U+202E turns
    "brought to you by" into whatever an advertiser spells backwards)."""

    OPENAPI = {"pattern": f"^[^{NO_BIDI}]*$"}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if any(c in BIDI_CONTROLS for c in text):
            raise ValidationError("Must not contain bidirectional control characters.")
        return text


class CtaSchema(Strict):
    text = CardText(required=True, validate=validate.Length(min=1, max=100))
    url = WebUrl(required=True, validate=validate.Length(max=2000))  # public http(s) only: see adserver/catalog/urls.py


class CreativeSchema(Strict):
    id = fields.String(required=True, validate=SLUG)
    status = fields.String(load_default="active", validate=validate.OneOf(CREATIVE_STATUSES))  # paused: not shown
    display_name = CardText(required=True, validate=validate.Length(min=1, max=200))
    tagline = CardText(load_default="", validate=validate.Length(max=200))
    hook = CardText(load_default="", validate=validate.Length(max=300))
    hook_variants = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=100)),
        values=CardText(validate=validate.Length(min=1, max=300)),
        load_default=dict,
    )
    title = CardText(required=True, validate=validate.Length(min=1, max=300))
    body = CardText(load_default="", validate=validate.Length(max=2000))
    code_lines = fields.List(
        CardText(validate=validate.Length(max=200)),
        load_default=list,
        validate=validate.Length(max=8),
    )
    cta = fields.Nested(CtaSchema, required=True)
    secondary_cta = fields.Nested(CtaSchema, load_default=None, allow_none=True)
    fine_print = CardText(load_default="", validate=validate.Length(max=300))
    image_url = WebUrl(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class CampaignSchema(Strict):
    id = fields.String(required=True, validate=SLUG)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=4000))
    status = fields.String(load_default="active", validate=validate.OneOf(STATUSES))
    starts_on = fields.Date(load_default=None, allow_none=True)
    ends_on = fields.Date(load_default=None, allow_none=True)
    priority = WholeNumber(load_default=0, validate=validate.Range(min=0, max=100))
    # A house campaign (the publisher's own newsletter, say) fills a slot only when nothing paid is eligible.
    house = fields.Boolean(load_default=False)
    pricing = fields.Nested(PricingSchema, required=True)
    budget = fields.Nested(BudgetSchema, load_default=lambda: {"total": None, "daily": None})
    pacing = fields.String(load_default="even", validate=validate.OneOf(PACING))
    # Per reader, keyed by the publisher's anonymous `article.reader` id: never by a cookie of ours.
    frequency_cap = fields.Nested(FrequencyCapSchema, load_default=None, allow_none=True)
    targeting = fields.Nested(TargetingSchema, load_default=lambda: TargetingSchema().load({}))
    creatives = fields.List(fields.Nested(CreativeSchema), required=True, validate=validate.Length(min=1))

    @validates_schema(skip_on_field_errors=False)  # in the same round as the other fields' errors
    def _dates_in_order(self, data, **kwargs):
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError(Refusal("ends_on is before starts_on."), field_name="ends_on")


class AdvertiserSchema(Strict):
    id = fields.String(required=True, validate=SLUG)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    domain = fields.String(load_default="", validate=validate.Length(max=200))
    # The currency of the advertiser's prices, budgets and spend (ISO 4217).
    currency = fields.String(
        load_default="EUR", validate=validate.Regexp(r"^[A-Z]{3}$", error="Use an ISO 4217 code like 'EUR'.")
    )
    campaigns = fields.List(fields.Nested(CampaignSchema), load_default=list)


class CatalogFileSchema(Strict):
    advertisers = fields.List(fields.Nested(AdvertiserSchema), required=True)
    # Left out: the sites in SQL stay as they are (none at all: the implicit `default` site, every page).
    sites = fields.List(fields.Nested(lambda: sites.site_schema()), load_default=None)

    @validates_schema
    def _unique_ids(self, data, **kwargs):
        errors: dict[str, list[str]] = {}
        seen: dict[str, dict[str, str]] = {"advertiser": {}, "campaign": {}, "creative": {}, "site": {}}

        def check(kind: str, ident: str, path: str) -> None:
            if ident in seen[kind]:
                errors.setdefault(path, []).append(f"Duplicate {kind} id {ident!r} (first at {seen[kind][ident]}).")
            else:
                seen[kind][ident] = path

        for s_i, site in enumerate(data.get("sites") or []):
            check("site", site["id"], f"sites.{s_i}.id")
        for a_i, adv in enumerate(data.get("advertisers", [])):
            check("advertiser", adv["id"], f"advertisers.{a_i}.id")
            for c_i, camp in enumerate(adv.get("campaigns", [])):
                check("campaign", camp["id"], f"advertisers.{a_i}.campaigns.{c_i}.id")
                for k_i, cr in enumerate(camp.get("creatives", [])):
                    check(
                        "creative",
                        cr["id"],
                        f"advertisers.{a_i}.campaigns.{c_i}.creatives.{k_i}.id",
                    )
        if errors:
            raise ValidationError(errors)


def read_file(path: str | Path) -> Any:
    """Parse YAML or JSON (by extension; YAML is a superset, so anything else is read as YAML)."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    try:
        return json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise CatalogError(f"{p.name} is not valid {'JSON' if p.suffix.lower() == '.json' else 'YAML'}: {e}") from None


def validate_catalog(data: Any) -> dict:
    """The file's data, validated; CatalogError lists every bad field by its dotted path."""
    return load(CatalogFileSchema(), data, "catalog")


def _money(v: Decimal | None) -> Decimal | None:
    return None if v is None else Decimal(v)


def campaign_values(advertiser_id: str, camp: dict) -> dict:
    """A validated file campaign as its SQL row's columns (the one mapping: import and in-memory catalogs)."""
    return {
        "advertiser_id": advertiser_id,
        "name": camp["name"],
        "description": camp["description"],
        "status": camp["status"],
        "starts_on": camp["starts_on"],
        "ends_on": camp["ends_on"],
        "priority": camp["priority"],
        "house": camp["house"],
        "pricing_model": camp["pricing"]["model"],
        "price": _money(camp["pricing"]["price"]),
        "total_budget": _money(camp["budget"]["total"]),
        "daily_budget": _money(camp["budget"]["daily"]),
        "pacing": camp["pacing"],
        "frequency_cap": (camp["frequency_cap"] or {}).get("impressions"),
        "frequency_hours": (camp["frequency_cap"] or {}).get("hours", 24),
        "targeting": dict(camp["targeting"]),
    }


def creative_values(campaign_id: str, cr: dict) -> dict:
    """A validated file creative as its SQL row's columns."""
    second = cr["secondary_cta"] or {}
    return {
        "campaign_id": campaign_id,
        "display_name": cr["display_name"],
        "tagline": cr["tagline"],
        "hook": cr["hook"],
        "hook_variants": dict(cr["hook_variants"]),
        "title": cr["title"],
        "body": cr["body"],
        "code_lines": list(cr["code_lines"]),
        "cta_text": cr["cta"]["text"],
        "landing_url": cr["cta"]["url"],
        "secondary_cta_text": second.get("text"),
        "secondary_cta_url": second.get("url"),
        "fine_print": cr["fine_print"],
        "image_url": cr["image_url"],
        "status": cr["status"],
    }


def validate_campaign(data: Any) -> dict:
    """One campaign (with its creatives) as the catalog file has it, validated by the file's own schema."""
    return load(CampaignSchema(), data, "campaign")


def validate_creative(data: Any) -> dict:
    """One creative as the catalog file has it, validated by the file's own schema."""
    return load(CreativeSchema(), data, "creative")


def put(s: Session, model, ident: str, values: dict) -> str:
    """Insert or update one row: "created", "updated" or "unchanged"."""
    row = s.get(model, ident)
    if row is None:
        s.add(model(id=ident, **values))
        return "created"
    changed = False
    for k, v in values.items():
        if getattr(row, k) != v:
            setattr(row, k, v)
            changed = True
    return "updated" if changed else "unchanged"


def insert(s: Session, model, ident: str, values: dict) -> None:
    """Insert one row, never update: an id taken meanwhile by another transaction raises IntegrityError here
    (flushed now), instead of the row being taken over as `put` would."""
    s.add(model(id=ident, **values))
    s.flush()


def upsert(s: Session, data: dict, progress: Progress = SILENT) -> dict[str, int]:
    """Insert or update everything in a validated catalog; returns counts of created/updated rows."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for site in data.get("sites") or ():
        counts[put(s, storage.Site, site["id"], sites.values(site))] += 1
    s.flush()
    named = sites.site_ids(s)
    for a_i, adv in enumerate(data["advertisers"]):
        for c_i, camp in enumerate(adv["campaigns"]):
            bad = sites.unknown_sites(camp["targeting"], named)
            if bad:
                where = f"advertisers.{a_i}.campaigns.{c_i}."
                raise CatalogError("catalog names an unknown site", {where + k: v for k, v in bad.items()})
    progress.start(sum(len(adv["campaigns"]) for adv in data["advertisers"]), "importing campaigns")
    for adv in data["advertisers"]:
        values = {"name": adv["name"], "domain": adv["domain"], "currency": adv["currency"]}
        counts[put(s, storage.Advertiser, adv["id"], values)] += 1
        for camp in adv["campaigns"]:
            counts[put(s, storage.Campaign, camp["id"], campaign_values(adv["id"], camp))] += 1
            for cr in camp["creatives"]:
                counts[put(s, storage.Creative, cr["id"], creative_values(camp["id"], cr))] += 1
            progress.advance(note=adv["id"])
        s.flush()
    return counts


def import_catalog(db: storage.Database, data: Any, progress: Progress = SILENT) -> dict[str, int]:
    """Validate then upsert in one transaction; bumps the catalog version when anything changed."""
    valid = validate_catalog(data)
    with db.session() as s:
        counts = upsert(s, valid, progress)
        if counts["created"] or counts["updated"]:
            counts["version"] = db.bump_catalog_version(s)
    return counts


def _num(v: Decimal | None) -> float | None:
    return None if v is None else float(v)


def creative_document(cr: storage.Creative) -> dict:
    """A creative row in the file's format."""
    return {
        "id": cr.id,
        "status": cr.status or "active",
        "display_name": cr.display_name,
        "tagline": cr.tagline,
        "hook": cr.hook,
        "hook_variants": cr.hook_variants,
        "title": cr.title,
        "body": cr.body,
        "code_lines": cr.code_lines,
        "cta": {"text": cr.cta_text, "url": cr.landing_url},
        "secondary_cta": (
            {"text": cr.secondary_cta_text, "url": cr.secondary_cta_url} if cr.secondary_cta_text else None
        ),
        "fine_print": cr.fine_print,
        "image_url": cr.image_url,
    }


def campaign_document(c: storage.Campaign) -> dict:
    """A campaign row, with its creatives, in the file's format (JSON-ready: dates as ISO strings)."""
    return {
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "status": c.status,
        "starts_on": c.starts_on.isoformat() if c.starts_on else None,
        "ends_on": c.ends_on.isoformat() if c.ends_on else None,
        "priority": c.priority,
        "house": bool(c.house),
        "pricing": {"model": c.pricing_model, "price": _num(c.price)},
        "budget": {"total": _num(c.total_budget), "daily": _num(c.daily_budget)},
        "pacing": c.pacing,
        "frequency_cap": ({"impressions": c.frequency_cap, "hours": c.frequency_hours} if c.frequency_cap else None),
        "targeting": c.targeting,
        "creatives": [creative_document(cr) for cr in c.creatives],
    }


def export_catalog(db: storage.Database) -> dict:
    """The whole catalog in the import format (round-trips through `import_catalog`)."""
    with db.sessionmaker() as s:
        advertisers = s.scalars(
            select(storage.Advertiser)
            .options(selectinload(storage.Advertiser.campaigns).selectinload(storage.Campaign.creatives))
            .order_by(storage.Advertiser.id)
        ).all()
        site_rows = s.scalars(select(storage.Site).order_by(storage.Site.id)).all()
        out = [
            {
                "id": a.id,
                "name": a.name,
                "domain": a.domain,
                "currency": a.currency,
                "campaigns": [campaign_document(c) for c in a.campaigns],
            }
            for a in advertisers
        ]
    doc: dict = {"advertisers": out}
    if site_rows:
        doc["sites"] = [sites.document(r) for r in site_rows]
    return doc


def set_status(db: storage.Database, campaign_id: str, status: str) -> None:
    """Pause, resume or archive one campaign (bumps the catalog version)."""
    if status not in STATUSES:
        raise CatalogError(f"unknown status {status!r}", {"status": [f"Must be one of: {', '.join(STATUSES)}."]})
    with db.session() as s:
        row = s.get(storage.Campaign, campaign_id)
        if row is None:
            raise CatalogError(f"no campaign {campaign_id!r}", {"campaign": ["Not found."]})
        if row.status != status:
            row.status = status
            db.bump_catalog_version(s)
