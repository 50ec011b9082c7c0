"""Advertisers changing their own campaigns and creatives (the self-service API and the /advertiser page).

A change is validated by the catalog file's own schema, checked against what the operator allows the
advertiser (`Limits`, and the fields only the operator sets), and written with a catalog version bump in one
transaction, as an import is: web workers serve it from their next catalog poll. `owner` is the advertiser a
token speaks for, or None for an operator (any advertiser); another advertiser's campaign is NotFound, the
same answer as a missing one, so ids do not leak.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..errors import CatalogError, Conflict, NotFound, Refusal, Taken, change_error
from ..infra import storage
from ..serving.rendering import render_preview
from ..serving.snapshot import Creative
from . import review, sites
from .files import (
    CampaignSchema,
    CreativeSchema,
    campaign_document,
    campaign_values,
    creative_document,
    creative_values,
    insert,
    put,
    validate_creative,
)
from .policy import DEFAULT_POLICY, RelevancePolicy
from .validation import is_slug, load, load_partly

SELF_STATUSES = ("active", "paused")  # archiving is the operator's
# Priority tiers and unbilled house cards are the operator's levers: an advertiser keeps what the operator set.
OPERATOR_FIELDS = {"priority": 0, "house": False}
READ_ONLY = ("advertiser_id", "campaign_id", "review")  # in what the API returns, ignored when sent back
# What one advertiser may create itself: the catalog lives in every web process's memory.
MAX_CAMPAIGNS = 200
MAX_CREATIVES = 20  # per campaign


@dataclass(frozen=True)
class Limits:
    """What the operator allows an advertiser's own changes; None allows nothing.

    The budget caps bound the sums of the budgets of the advertiser's campaigns that can still spend (not
    archived, not ended); a floor is the lowest price of its pricing model, and a model without one is not
    offered (flat deals are always the operator's). Only raising past a cap or lowering under a floor is
    refused: what the operator set stays as it is."""

    max_total_budget: Decimal | None = None
    max_daily_budget: Decimal | None = None
    min_cpm: Decimal | None = None
    min_cpc: Decimal | None = None
    min_relevance: Decimal | None = None  # the lowest min_relevance it may set; None: the policy's (`policy`)

    def floor(self, pricing_model: str) -> Decimal | None:
        return {"cpm": self.min_cpm, "cpc": self.min_cpc}.get(pricing_model)


LIMITS = tuple(f.name for f in fields(Limits))


def get_limits(db: storage.Database, advertiser_id: str) -> Limits:
    with db.sessionmaker() as s:
        return _limits(_advertiser(s, advertiser_id))


def currency(db: storage.Database, advertiser_id: str) -> str:
    """The currency of the advertiser's prices, budgets and limits."""
    with db.sessionmaker() as s:
        return _advertiser(s, advertiser_id).currency


def set_limits(db: storage.Database, advertiser_id: str, **changes: Decimal | None) -> Limits:
    """Set some of the advertiser's limits (a None value clears one); the others stay."""
    unknown = set(changes) - set(LIMITS)
    if unknown:
        raise ValueError(f"unknown limits {sorted(unknown)}")
    with db.session() as s:
        adv = _advertiser(s, advertiser_id)
        for name, value in changes.items():
            setattr(adv, name, value)
        s.flush()
        return _limits(adv)


def set_trusted(db: storage.Database, advertiser_id: str, trusted: bool) -> None:
    """Whether the advertiser's own changes serve as they are made (True) or wait for review."""
    with db.session() as s:
        _advertiser(s, advertiser_id).trusted = trusted


def _limits(adv: storage.Advertiser) -> Limits:
    return Limits(**{name: getattr(adv, name) for name in LIMITS})


def _advertiser(s: Session, advertiser_id: str, lock: bool = False) -> storage.Advertiser:
    """The advertiser; `lock` holds its row until the transaction ends, so one advertiser's changes, each
    checking sums over its campaigns, happen one after another."""
    adv = s.get(storage.Advertiser, advertiser_id, with_for_update=lock or None)
    if adv is None:
        raise NotFound(f"no advertiser {advertiser_id!r}")
    return adv


def _campaign_row(s: Session, owner: str | None, campaign_id: str, lock: bool = False) -> storage.Campaign:
    row = s.get(storage.Campaign, campaign_id) if is_slug(campaign_id) else None
    if row is None or owner not in (None, row.advertiser_id):
        raise NotFound(f"no campaign {campaign_id!r}")
    if lock:  # then read it again: a change that held the lock before may have changed it
        _advertiser(s, row.advertiser_id, lock=True)
        s.refresh(row)
    return row


def _creative_row(s: Session, owner: str | None, creative_id: str, lock: bool = False) -> storage.Creative:
    row = s.get(storage.Creative, creative_id) if is_slug(creative_id) else None
    if row is None or owner not in (None, row.campaign.advertiser_id):
        raise NotFound(f"no creative {creative_id!r}")
    if lock:
        _advertiser(s, row.campaign.advertiser_id, lock=True)
        s.refresh(row)
    return row


def _document(row: storage.Campaign) -> dict:
    """The campaign as its advertiser sees it: with what waits for review, and the review's state."""
    doc = review.proposed(row, campaign_document(row))
    doc["creatives"] = [_creative_document(cr) for cr in row.creatives]
    return {**doc, "advertiser_id": row.advertiser_id, "review": review.state(row)}


def _creative_document(row: storage.Creative) -> dict:
    return {**review.proposed(row, creative_document(row)), "review": review.state(row)}


def list_campaigns(db: storage.Database, owner: str | None) -> list[dict]:
    """The owner's campaigns with their creatives (every advertiser's for None), in the file's format."""
    stmt = select(storage.Campaign).options(selectinload(storage.Campaign.creatives)).order_by(storage.Campaign.id)
    if owner is not None:
        stmt = stmt.where(storage.Campaign.advertiser_id == owner)
    with db.sessionmaker() as s:
        return [_document(row) for row in s.scalars(stmt)]


def get_campaign(db: storage.Database, owner: str | None, campaign_id: str) -> dict:
    with db.sessionmaker() as s:
        return _document(_campaign_row(s, owner, campaign_id))


def create_campaign(
    db: storage.Database, advertiser_id: str, raw: Any, policy: RelevancePolicy = DEFAULT_POLICY
) -> dict:
    """A new campaign (with at least one creative) for the advertiser, within the operator's `policy`. Every
    problem is found in one round: the schema's, the ids in use and the operator's rules on the valid fields."""
    raw = _without_read_only(raw)
    creatives = raw.get("creatives") if isinstance(raw, dict) else None
    if isinstance(creatives, list):
        raw["creatives"] = creatives = [_without_read_only(cr) for cr in creatives]
    data, problems = load_partly(CampaignSchema(), raw)
    with _changing(db) as s:
        adv = _advertiser(s, advertiser_id, lock=True)
        problems = _merged(
            problems,
            _room(len(adv.campaigns) + 1, MAX_CAMPAIGNS, "_body", "campaigns per advertiser"),
            _room(len(data.get("creatives") or ()), MAX_CREATIVES, "creatives", "creatives per campaign"),
            _taken(s, storage.Campaign, {"id": raw}, problems),
            _taken(s, storage.Creative, {f"creatives.{i}.id": cr for i, cr in enumerate(creatives or ())}, problems),
            _refusals(s, adv, None, data, policy, problems),
        )
        if problems:
            raise change_error("the campaign cannot be created", problems)
        unreviewed = {"approved": bool(adv.trusted)}  # a new one serves once an operator approves it
        insert(s, storage.Campaign, data["id"], campaign_values(adv.id, data) | unreviewed)
        for cr in data["creatives"]:
            insert(s, storage.Creative, cr["id"], creative_values(data["id"], cr) | unreviewed)
        db.bump_catalog_version(s)
    return get_campaign(db, advertiser_id, data["id"])


def update_campaign(
    db: storage.Database, owner: str | None, campaign_id: str, patch: Any, policy: RelevancePolicy = DEFAULT_POLICY
) -> dict:
    """Apply a JSON merge patch (RFC 7396: a null removes a field, back to its default) to the campaign.

    Creatives are changed one by one (`update_creative`), so the patch may not carry `creatives`."""
    patch = _without_read_only(_object(patch))
    problems = {}
    if "creatives" in patch:
        problems["creatives"] = ["Change creatives one by one (/v1/creatives/{id}); add one with POST."]
    if patch.get("id", campaign_id) != campaign_id:
        problems["id"] = ["An id cannot change."]
    if problems:
        raise CatalogError("campaign patch is invalid", problems)
    with _changing(db) as s:
        row = _campaign_row(s, owner, campaign_id, lock=True)
        live, before, after, problems = _edited(row, patch, campaign_document, CampaignSchema)
        problems = _merged(problems, _refusals(s, row.advertiser, before, after, policy, problems))
        if problems:
            raise change_error("the change is not allowed", problems)
        _write(db, s, row, live, before, after, row.advertiser.trusted, partial(campaign_values, row.advertiser_id))
    return get_campaign(db, owner, campaign_id)


def set_campaign_status(db: storage.Database, owner: str | None, campaign_id: str, status: str) -> dict:
    """Pause or resume a campaign (active | paused)."""
    return update_campaign(db, owner, campaign_id, {"status": status})


def create_creative(db: storage.Database, owner: str | None, campaign_id: str, raw: Any) -> dict:
    """A new creative in one of the owner's campaigns; returns the campaign."""
    raw = _without_read_only(raw)
    data, problems = load_partly(CreativeSchema(), raw)
    with _changing(db) as s:
        row = _campaign_row(s, owner, campaign_id, lock=True)
        problems = _merged(
            problems,
            _archived(row),
            _room(len(row.creatives) + 1, MAX_CREATIVES, "_body", "creatives per campaign"),
            _taken(s, storage.Creative, {"id": raw}, problems),
        )
        if problems:
            raise change_error("the creative cannot be created", problems)
        unreviewed = {"approved": bool(row.advertiser.trusted)}
        insert(s, storage.Creative, data["id"], creative_values(campaign_id, data) | unreviewed)
        db.bump_catalog_version(s)
    return get_campaign(db, owner, campaign_id)


def get_creative(db: storage.Database, owner: str | None, creative_id: str) -> dict:
    with db.sessionmaker() as s:
        row = _creative_row(s, owner, creative_id)
        return {**_creative_document(row), "campaign_id": row.campaign_id}


def update_creative(db: storage.Database, owner: str | None, creative_id: str, patch: Any) -> dict:
    """Apply a JSON merge patch to the creative; its campaign's other creatives are left as they are."""
    patch = _without_read_only(_object(patch))
    if patch.get("id", creative_id) != creative_id:
        raise CatalogError("creative patch is invalid", {"id": ["An id cannot change."]})
    with _changing(db) as s:
        row = _creative_row(s, owner, creative_id, lock=True)
        live, before, after, problems = _edited(row, patch, creative_document, CreativeSchema)
        problems = _merged(_archived(row.campaign), problems)
        if problems:
            raise change_error("the change is not allowed", problems)
        trusted = row.campaign.advertiser.trusted
        _write(db, s, row, live, before, after, trusted, partial(creative_values, row.campaign_id))
    return get_creative(db, owner, creative_id)


def set_creative_status(db: storage.Database, owner: str | None, creative_id: str, status: str) -> dict:
    """Pause or resume one creative; a paused one is never shown (its campaign's others still are)."""
    return update_creative(db, owner, creative_id, {"status": status})


def preview(db: storage.Database, owner: str | None, creative_id: str, topic: str | None = None) -> dict:
    """The creative rendered as the card (the serving template, every field escaped), counting nothing: no
    decision, no impression, no tracking URLs (its links go straight to the registered landing URLs)."""
    with db.sessionmaker() as s:
        row = _creative_row(s, owner, creative_id)
        shown = validate_creative(review.proposed(row, creative_document(row)))  # what waits for review, if any
        creative = Creative.from_values(row.id, creative_values(row.campaign_id, shown))
    return render_preview(row.campaign_id, creative, topic)


DRAFT = "preview"  # the id a draft is rendered under: whatever id the form holds yet, valid or not


def preview_draft(raw: Any, topic: str | None = None) -> dict:
    """A creative not saved yet (the form as it is typed) rendered as `preview` renders a saved one: validated
    as the catalog file's creative, bar its id and status; touches no stored data and counts nothing."""
    draft = {**_without_read_only(_object(raw)), "id": DRAFT}
    draft.pop("status", None)
    shown = validate_creative(draft)
    return render_preview(DRAFT, Creative.from_values(DRAFT, creative_values(DRAFT, shown)), topic)


def _edited(row: review.Row, patch: dict, document: Callable, schema: type) -> tuple[dict, dict, dict, dict]:
    """(the approved version, the advertiser's proposal before the patch, what of it after the patch the file's
    schema accepts, and that schema's problems with it)."""
    live = document(row)
    current = review.proposed(row, live)
    after, problems = load_partly(schema(), merge_patch(current, patch))
    return load(schema(), live, "stored"), load(schema(), current, "stored"), after, problems


def _write(
    db: storage.Database,
    s: Session,
    row: review.Row,
    live: dict,
    before: dict,
    after: dict,
    trusted: bool,
    values: Callable[[dict], dict],
) -> None:
    """Write what goes live now, keep what waits for review (`review.stage`); a new proposal (a reviewed field
    changed) clears an earlier refusal. `values` makes the row's columns of a document."""
    staged = review.stage(row, live, after, bool(trusted))
    row.pending = staged.pending
    compared = review.reviewed(row) if review.approved(row) else after  # a new one: any change proposes it again
    if any(before[k] != after[k] for k in compared):
        row.review_reason = None
        campaign = row.campaign if isinstance(row, storage.Creative) else None
        if campaign is not None and not review.approved(campaign):  # a new campaign's card: the campaign again
            campaign.review_reason = None
    if put(s, type(row), row.id, values(staged.live)) == "updated":
        db.bump_catalog_version(s)


@contextmanager
def _changing(db: storage.Database) -> Iterator[Session]:
    """A change's transaction; an id that another change took meanwhile is a Conflict, not an IntegrityError."""
    try:
        with db.change() as s:
            yield s
    except IntegrityError:
        raise Conflict("an id is already in use", {"id": ["Already in use: ids are unique in the catalog."]}) from None


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge key by key, a null removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _object(raw: Any) -> dict:
    if not isinstance(raw, dict):
        raise CatalogError("the body must be a JSON object", {"_body": ["Must be a JSON object."]})
    return dict(raw)


def _without_read_only(raw: Any) -> Any:
    return {k: v for k, v in raw.items() if k not in READ_ONLY} if isinstance(raw, dict) else raw


def _merged(*parts: dict[str, list[str]]) -> dict[str, list[str]]:
    """Every problem found, by field, in the order found."""
    out: dict[str, list[str]] = {}
    for part in parts:
        for path, messages in part.items():
            out.setdefault(path, []).extend(messages)
    return out


def _fine(problems: dict[str, list[str]], *paths: str) -> bool:
    """Whether none of `paths`, nothing within one and nothing holding one is malformed: a rule whose inputs
    are bad is not checked (its field's own message says what to fix first). A value that only a rule
    refused (a `Refusal`) is well formed, and checked on."""
    bad = [p for p, messages in problems.items() if not all(isinstance(m, Refusal) for m in messages)]
    return "_body" not in bad and not any(
        p == q or p.startswith(q + ".") or q.startswith(p + ".") for p in bad for q in paths
    )


def _taken(s: Session, model, docs: dict[str, Any], problems: dict[str, list[str]]) -> dict[str, list[str]]:
    """The well-formed ids (by path; `docs`: path -> the raw document holding it) another row already has."""
    out = {}
    for path, doc in docs.items():
        ident = doc.get("id") if isinstance(doc, dict) else None
        if isinstance(ident, str) and _fine(problems, path) and s.get(model, ident) is not None:
            out[path] = [Taken("Already in use: ids are unique in the catalog.")]
    return out


def _room(count: int, limit: int, field: str, what: str) -> dict[str, list[str]]:
    return {field: [Refusal(f"At most {limit} {what}: ask the operator for more.")]} if count > limit else {}


def _archived(row: storage.Campaign) -> dict[str, list[str]]:
    if row.status == "archived":
        return {"status": [Refusal("Archived by the operator: ask them to bring it back.")]}
    return {}


def _spends(doc: dict | None, today: date) -> bool:
    """Whether a campaign can still spend: not archived and not ended (a paused one may be resumed)."""
    return doc is not None and doc["status"] != "archived" and (doc["ends_on"] is None or doc["ends_on"] >= today)


def _share(doc: dict | None, key: str, today: date) -> Decimal | None:
    """The campaign's part of the advertiser's `key` budget: 0 when it cannot spend, None when unlimited."""
    if not _spends(doc, today):
        return Decimal(0)
    value = doc["budget"][key]
    return None if value is None else Decimal(value)


def _money(amount: Decimal) -> str:
    return f"{Decimal(amount).normalize():f}"


def _refusals(
    s: Session,
    adv: storage.Advertiser,
    before: dict | None,
    after: dict,
    policy: RelevancePolicy,
    problems: dict[str, list[str]],
) -> dict[str, list[str]]:
    """What the operator does not allow this advertiser, by field (`before` None: a new campaign), checked on
    the fields of `after` the schema accepted (`problems`: those it did not). Only changes are checked: what
    the operator set stays allowed."""
    fine = partial(_fine, problems)
    limits, today = _limits(adv), date.today()
    floor = None if limits.min_relevance is None else float(limits.min_relevance)
    errors: dict[str, list[str]] = {}
    targeting = after.get("targeting")
    read = ("topics", "keywords", "languages", "min_relevance")  # what the relevance policy reads
    if targeting is not None and fine(*(f"targeting.{k}" for k in read)):
        errors.update(policy.problems(before, after, floor))
    if targeting is not None and fine("targeting.sites", "targeting.exclude_sites"):
        errors.update(sites.unknown_sites(targeting, sites.site_ids(s)))  # restricting to sites is theirs
    if before is not None and before["status"] == "archived":
        errors["status"] = ["Archived by the operator: ask them to bring it back."]
    elif after.get("status", SELF_STATUSES[0]) not in SELF_STATUSES:
        errors["status"] = [f"Use one of: {', '.join(SELF_STATUSES)} (archiving is the operator's)."]
    for name, default in OPERATOR_FIELDS.items():
        if name in after and after[name] != (before[name] if before else default):
            errors[name] = ["Set by the operator."]
    pricing = after.get("pricing") or {}
    if "model" in pricing and (before is None or pricing != before["pricing"]):
        floor = limits.floor(pricing["model"])
        if floor is None:
            errors["pricing.model"] = [f"{pricing['model']} pricing is not offered to you: ask the operator."]
        elif "price" in pricing and pricing["price"] < floor:
            errors["pricing.price"] = [f"At least {_money(floor)} {adv.currency} for {pricing['model']}."]
    others = [
        {"status": c.status, "ends_on": c.ends_on, "budget": {"total": c.total_budget, "daily": c.daily_budget}}
        for c in adv.campaigns
        if before is None or c.id != before["id"]
    ]
    for key, cap in (("total", limits.max_total_budget), ("daily", limits.max_daily_budget)):
        if not fine(f"budget.{key}", "status", "ends_on") or key not in (after.get("budget") or {}):
            continue  # a bad status, end date or budget: said by its own field
        new, old = _share(after, key, today), _share(before, key, today) if before else Decimal(0)
        if new is None:
            if old is not None:
                errors[f"budget.{key}"] = ["Required: the operator caps your budgets."]
            continue
        if old is not None and new <= old:
            continue  # lowering (or keeping) a budget is always allowed
        total = new + sum(_share(o, key, today) or 0 for o in others)
        if cap is None:
            errors[f"budget.{key}"] = ["No budget is allowed you yet: ask the operator to set your limit."]
        elif total > cap:
            errors[f"budget.{key}"] = [
                f"Your campaigns' {key} budgets may add up to {_money(cap)} {adv.currency}; this makes {_money(total)}."
            ]
    return {path: [Refusal(m) for m in messages] for path, messages in errors.items()}
