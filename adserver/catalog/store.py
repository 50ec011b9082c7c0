"""The catalog in SQL as the decision path sees it: a snapshot loaded in one transaction, and the holder that
keeps one per process.

SQL is the source of truth (`infra.storage`); `CatalogHolder` keeps a snapshot per process and swaps in
a new one when the catalog version in SQL changes (polled in the background, so a request never
waits on SQL).
"""

from __future__ import annotations

import logging

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..infra import storage
from ..infra.poller import Poller
from ..serving.snapshot import Campaign, CatalogSnapshot, Creative
from . import sites
from .review import approved
from .urls import public_web_url

log = logging.getLogger(__name__)


def values_of(row: storage.Base) -> dict:
    """A row's columns by name: the values `Campaign.from_values` and `Creative.from_values` build from."""
    return {c.key: getattr(row, c.key) for c in row.__mapper__.column_attrs}


def creative_from_row(cr: storage.Creative) -> Creative:
    return Creative.from_values(cr.id, values_of(cr))


def servable(cr: storage.Creative) -> bool:
    """Approved, and its URLs pass today's checks: a URL stored before a check existed (a host that folds to a
    private address, say) is never served nor redirected to, whatever the row says."""
    if not approved(cr):
        return False
    for url in (cr.landing_url, cr.secondary_cta_url, cr.image_url):
        try:
            if url is not None and public_web_url(url) != url:
                raise ValidationError("Must be stored as checked (its host in punycode).")
        except ValidationError as e:
            log.warning("creative %s is not served: %s %s", cr.id, url, " ".join(e.messages))
            return False
    return True


def campaign_from_row(row: storage.Campaign) -> Campaign:
    creatives = [(cr.id, values_of(cr)) for cr in row.creatives if servable(cr)]
    return Campaign.from_values(row.id, values_of(row), row.advertiser.name, creatives)


def load_snapshot(db: storage.Database) -> CatalogSnapshot:
    """Read the whole catalog in one transaction (a few queries, not one per campaign)."""
    with db.sessionmaker() as s:
        meta = s.get(storage.CatalogMeta, 1)
        rows = s.scalars(
            select(storage.Campaign)
            .options(selectinload(storage.Campaign.creatives), selectinload(storage.Campaign.advertiser))
            .order_by(storage.Campaign.id)
        ).all()
        campaigns = tuple(campaign_from_row(r) for r in rows if approved(r))  # a new one serves once reviewed
        # Archived sites are left out: their pages are unknown pages, never billed.
        site_rows = s.scalars(select(storage.Site).where(storage.Site.status == "active").order_by(storage.Site.id))
        return CatalogSnapshot.build(meta.version if meta else 0, campaigns, tuple(map(sites.from_row, site_rows)))


class CatalogHolder:
    """Owns this process's catalog snapshot and refreshes it when the SQL version moves (`Poller`)."""

    def __init__(self, db: storage.Database, poll_seconds: float = 2.0):
        self.db = db
        self._snapshot: CatalogSnapshot | None = None
        self._poller = Poller("catalog-poller", self.refresh, poll_seconds, first=self._load)

    def get(self) -> CatalogSnapshot:
        self._poller.ensure()
        return self._snapshot

    def refresh(self, force: bool = False) -> bool:
        """Reload when the version changed; True when a new snapshot was swapped in."""
        version = self.db.catalog_version()
        if force or self._snapshot is None or version != self._snapshot.version:
            self._snapshot = load_snapshot(self.db)
            log.info("catalog snapshot v%s loaded (%d campaigns)", version, len(self._snapshot.campaigns))
            return True
        return False

    def _load(self) -> None:
        self._snapshot = load_snapshot(self.db)

    def stop(self) -> None:
        self._poller.stop()
