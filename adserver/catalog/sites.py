"""Sites in the catalog: the file's `sites` section, their SQL rows, and the operator's changes to them.

A site's domains are validated as landing URLs' hosts are (`urls.public_web_url`: NFKC, then punycode; no
private or local names) and, beyond that, must be names, not addresses: a page is known by its name. The one
exception is the development demo: with `local_domains(True)` (`make dev`, ENVIRONMENT development or test),
`localhost` and `127.0.0.1` are accepted, so that the demo page bills as a real site would. Production never
accepts them: a loopback page is no reader's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from functools import cache
from urllib.parse import urlsplit

from marshmallow import ValidationError, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import CatalogError, NotFound, Refusal
from ..infra import storage
from ..serving.categories import categories
from ..serving.sites import SITE_STATUSES, UNKNOWN, Site
from .urls import _address, public_web_url
from .validation import SLUG, Strict, load

LOCAL_HOSTS = ("localhost", "127.0.0.1")
_LOCAL = ContextVar("local_domains", default=False)
RESERVED = (UNKNOWN,)  # the name reports give pages of no site


@contextmanager
def local_domains(allowed: bool) -> Iterator[None]:
    """Accept `LOCAL_HOSTS` as site domains within this block (the development demo only)."""
    token = _LOCAL.set(allowed)
    try:
        yield
    finally:
        _LOCAL.reset(token)


def domain(value: str) -> str:
    """`news.example` or `*.news.example` as stored: lower case, punycode; ValidationError naming what is wrong."""
    wild = value.startswith("*.")
    typed = value[2:] if wild else value
    if not typed or any(c in typed for c in "/?#@:*\\") or any(c.isspace() for c in typed):
        raise ValidationError("Use a host name like 'news.example' or '*.news.example' (no scheme, port or path).")
    if typed.lower().rstrip(".") in LOCAL_HOSTS and not wild and _LOCAL.get():
        return typed.lower().rstrip(".")
    host = urlsplit(public_web_url(f"http://{typed}/")).hostname or ""
    if _address(host) is not None:
        raise ValidationError("Use a host name, not an IP address.")
    if "." not in host:
        raise ValidationError("Use a full host name, like 'news.example'.")
    return ("*." if wild else "") + host


class Domain(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        return domain(super()._deserialize(value, attr, data, **kwargs))


def _category(value: str) -> None:
    if value not in categories():
        raise ValidationError(f"Not a sensitive category; use one of: {', '.join(categories())}.")


def _not_reserved(value: str) -> None:
    if value in RESERVED:
        raise ValidationError(f"{value!r} is reserved: reports name pages of no site so.")


@cache
def site_schema():
    """The file's site, built once on first use (`files` imports this module; its schema base lives there)."""

    class SiteSchema(Strict):
        id = fields.String(required=True, validate=[SLUG, _not_reserved])
        name = fields.String(required=True, validate=validate.Length(min=1, max=200))
        domains = fields.List(Domain(validate=validate.Length(max=253)), required=True, validate=validate.Length(min=1))
        placements = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list)
        blocked_advertisers = fields.List(fields.String(validate=SLUG), load_default=list)
        exclude_categories = fields.List(fields.String(validate=_category), load_default=list)
        revenue_share = fields.Decimal(load_default=Decimal(0), places=4, validate=validate.Range(min=0, max=1))
        status = fields.String(load_default="active", validate=validate.OneOf(SITE_STATUSES))

    return SiteSchema()


def values(site: dict) -> dict:
    """A validated file site as its SQL row's columns."""
    return {
        "name": site["name"],
        "domains": list(dict.fromkeys(site["domains"])),
        "placements": list(site["placements"]),
        "blocked_advertisers": list(site["blocked_advertisers"]),
        "exclude_categories": list(site["exclude_categories"]),
        "revenue_share": Decimal(site["revenue_share"]),
        "status": site["status"],
    }


def document(row: storage.Site) -> dict:
    """A site row in the file's format."""
    return {
        "id": row.id,
        "name": row.name,
        "domains": list(row.domains),
        "placements": list(row.placements),
        "blocked_advertisers": list(row.blocked_advertisers),
        "exclude_categories": list(row.exclude_categories),
        "revenue_share": float(row.revenue_share),
        "status": row.status,
    }


def from_row(row: storage.Site) -> Site:
    return Site(
        id=row.id,
        name=row.name,
        domains=frozenset(row.domains or ()),
        placements=frozenset(row.placements or ()),
        blocked_advertisers=frozenset(row.blocked_advertisers or ()),
        exclude_categories=frozenset(row.exclude_categories or ()),
        revenue_share=float(row.revenue_share or 0),
        status=row.status,
    )


def site_ids(s: Session) -> set[str]:
    return set(s.scalars(select(storage.Site.id)))


def unknown_sites(targeting: dict, known: set[str]) -> dict[str, list[str]]:
    """`targeting.sites` / `exclude_sites` naming a site the catalog does not have, by field. The implicit
    `default` is no site to name: a catalog without sites has nothing to target."""
    out: dict[str, list[str]] = {}
    for key in ("sites", "exclude_sites"):
        missing = [x for x in targeting.get(key) or () if x not in known]
        if missing:
            out[f"targeting.{key}"] = [Refusal(f"No site {', '.join(map(repr, missing))} in the catalog.")]
    return out


def narrowing(before: dict, after: dict) -> dict:
    """The site keys of `after`'s targeting that only restrict `before`'s (fewer sites, more excluded): an
    advertiser's restriction serves at once, unreviewed (`review.stage`); a widening waits like any targeting."""
    out = {}
    was, now = set(before.get("sites") or ()), set(after.get("sites") or ())
    if now and (not was or now <= was):
        out["sites"] = after["sites"]
    if set(after.get("exclude_sites") or ()) >= set(before.get("exclude_sites") or ()):
        out["exclude_sites"] = after.get("exclude_sites") or []
    return out


def check_targeting(s: Session, targeting: dict, also: set[str] = frozenset(), prefix: str = "") -> None:
    """CatalogError naming each unknown site a campaign's targeting names (`also`: sites the same change adds)."""
    if not (targeting.get("sites") or targeting.get("exclude_sites")):
        return
    bad = unknown_sites(targeting, site_ids(s) | set(also))
    if bad:
        raise CatalogError("unknown site", {prefix + k: v for k, v in bad.items()})


# --- the operator's changes (`adserver sites ...`) ---------------------------------------------------


def list_sites(db: storage.Database) -> list[dict]:
    with db.sessionmaker() as s:
        return [document(r) for r in s.scalars(select(storage.Site).order_by(storage.Site.id))]


def save(db: storage.Database, data: dict, create: bool) -> str:
    """Add a site (`create`) or change one: `data` in the file's format (for a change, only what changes)."""
    with db.session() as s:
        row = s.get(storage.Site, data["id"])
        if create and row is not None:
            raise CatalogError(f"site {data['id']!r} exists", {"id": ["Taken: change it with `sites set`."]})
        if not create and row is None:
            raise NotFound(f"no site {data['id']!r}")
        merged = data if create else document(row) | {k: v for k, v in data.items() if v is not None}

        valid = load(site_schema(), merged, "site")
        if row is None:
            s.add(storage.Site(id=valid["id"], **values(valid)))
        else:
            for k, v in values(valid).items():
                setattr(row, k, v)
        db.bump_catalog_version(s)
    return valid["id"]


def archive(db: storage.Database, site_id: str) -> None:
    """An archived site's pages are unknown pages: served unbilled (or refused), never billed."""
    save(db, {"id": site_id, "status": "archived"}, create=False)
