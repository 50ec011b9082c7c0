"""Review before serving: an advertiser's own change to what readers see waits for an operator's approval.

A new campaign or creative serves once approved; a change to an approved one's targeting (a campaign) or its
card (a creative's texts, image, URLs) is kept apart as its `pending` proposal while the approved version
goes on serving. Pausing, resuming, budgets, prices and dates apply at once (the operator's limits bound
them). An advertiser the operator trusts has its changes approved as they are made. The catalog file and
the CLI are the operator's: what they write is approved.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..errors import CatalogError, NotFound
from ..infra import storage
from . import sites
from .files import (
    campaign_document,
    campaign_values,
    creative_document,
    creative_values,
    put,
    validate_campaign,
    validate_creative,
)

CAMPAIGN_REVIEWED = ("targeting",)
CREATIVE_REVIEWED = (
    "display_name",
    "tagline",
    "hook",
    "hook_variants",
    "title",
    "body",
    "code_lines",
    "cta",
    "secondary_cta",
    "fine_print",
    "image_url",
)
MAX_REASON = 500

Row = storage.Campaign | storage.Creative


def reviewed(row: Row) -> tuple[str, ...]:
    return CAMPAIGN_REVIEWED if isinstance(row, storage.Campaign) else CREATIVE_REVIEWED


def approved(row: Row) -> bool:
    """Whether it serves (a row built in memory, never stored, counts as approved)."""
    return row.approved is not False


def proposed(row: Row, document: dict) -> dict:
    """The row's document with its pending proposal applied: what the advertiser sees and edits."""
    return {**document, **(row.pending or {})}


def state(row: Row) -> dict:
    """`{"state": approved | pending | rejected, "reason": ..., "fields": [...]}` for the advertiser."""
    if row.review_reason:
        return {"state": "rejected", "reason": row.review_reason, "fields": []}
    if not approved(row):
        return {"state": "pending", "reason": None, "fields": ["new"]}
    if row.pending:
        return {"state": "pending", "reason": None, "fields": sorted(row.pending)}
    return {"state": "approved", "reason": None, "fields": []}


@dataclass(frozen=True)
class Staged:
    live: dict  # the validated document written to the row now
    pending: dict | None  # what waits for review (document form), None: nothing


def stage(row: Row, live_before: dict, after: dict, trusted: bool) -> Staged:
    """Split a change: what goes live now, what waits. `live_before` is the row's approved document, `after`
    the advertiser's proposed one (both validated)."""
    if trusted or not approved(row):  # trusted: approved as made; never approved: the whole row is the proposal
        return Staged(after, None)
    fields = reviewed(row)
    live = {**after, **{k: live_before[k] for k in fields}}
    if "targeting" in fields:  # fewer sites is no new audience: it serves now
        live["targeting"] = {**live["targeting"], **sites.narrowing(live_before["targeting"], after["targeting"])}
    pending = {k: after[k] for k in fields if after[k] != live[k]}  # targeting and card texts: JSON as is
    return Staged(live, pending or None)


# --- the operator's side ------------------------------------------------------------------------------------


def waiting(db: storage.Database) -> list[dict]:
    """Every campaign and creative waiting for review: new ones and approved ones with a proposal."""
    out = []
    with db.sessionmaker() as s:
        for kind, model in (("campaign", storage.Campaign), ("creative", storage.Creative)):
            waits = or_(model.approved.is_(False), model.pending.is_not(None))
            for row in s.scalars(select(model).where(waits, model.review_reason.is_(None))):
                what = ", ".join(state(row)["fields"])
                out.append({"kind": kind, "id": row.id, "advertiser_id": _advertiser_id(row), "what": what})
    return sorted(out, key=lambda x: (x["advertiser_id"], x["kind"], x["id"]))


def show(db: storage.Database, ident: str) -> dict:
    """One object's approved version beside what is proposed: `{"kind", "id", "serving", "proposed"}`."""
    with db.sessionmaker() as s:
        row = _row(s, ident)
        doc = _document(row)
        return {
            "kind": "campaign" if isinstance(row, storage.Campaign) else "creative",
            "id": row.id,
            "state": state(row),
            "serving": doc if approved(row) else None,
            "proposed": proposed(row, doc),
        }


def approve(db: storage.Database, ident: str) -> list[str]:
    """Approve what waits: the object's proposal (a campaign's: its creatives' too); returns what was approved."""
    with db.change() as s:
        row = _row(s, ident, lock=True)
        rows = [row, *(row.creatives if isinstance(row, storage.Campaign) and not row.review_reason else ())]
        done = [r.id for r in rows if _waits(r) and _approve(s, r)]
        if not done:
            raise CatalogError(f"{ident!r} has nothing waiting for review", {"id": ["Nothing waits for review."]})
        db.bump_catalog_version(s)
        return done


def reject(db: storage.Database, ident: str, reason: str) -> None:
    """Refuse the proposal, with the reason the advertiser will read; the approved version goes on serving."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise CatalogError("a reason is required", {"reason": [f"Give the advertiser a reason (1-{MAX_REASON})."]})
    with db.change() as s:
        row = _row(s, ident, lock=True)
        if not _waits(row):
            raise CatalogError(f"{ident!r} has nothing waiting for review", {"id": ["Nothing waits for review."]})
        rows = [row]
        if isinstance(row, storage.Campaign) and not approved(row):  # a new campaign's new cards go with it
            rows += [c for c in row.creatives if not approved(c)]
        for r in rows:
            r.pending, r.review_reason = None, reason


def _waits(row: Row) -> bool:
    return not row.review_reason and (not approved(row) or bool(row.pending))


def _approve(s: Session, row: Row) -> bool:
    doc = proposed(row, _document(row))
    if isinstance(row, storage.Campaign):
        put(s, storage.Campaign, row.id, campaign_values(row.advertiser_id, validate_campaign(doc)))
    else:
        put(s, storage.Creative, row.id, creative_values(row.campaign_id, validate_creative(doc)))
    row.pending, row.approved, row.review_reason = None, True, None
    return True


def _document(row: Row) -> dict:
    return campaign_document(row) if isinstance(row, storage.Campaign) else creative_document(row)


def _row(s: Session, ident: str, lock: bool = False) -> Row:
    """The campaign with this id, else the creative (ids are unique within each)."""
    row = s.get(storage.Campaign, ident) or s.get(storage.Creative, ident)
    if row is None:
        raise NotFound(f"no campaign or creative {ident!r}")
    if lock:  # one advertiser's changes happen one after another (`self_service._advertiser`)
        s.get(storage.Advertiser, _advertiser_id(row), with_for_update=True)
        s.refresh(row)
    return row


def _advertiser_id(row: Row) -> str:
    return row.advertiser_id if isinstance(row, storage.Campaign) else row.campaign.advertiser_id
