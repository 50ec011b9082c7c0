"""Sites: the news sites a deployment serves, and the rules that hold per request on one of them.

A page is *known* when its host is one of its site's domains (`news.example`, or any subdomain under
`*.news.example`); only known pages bill (`events.event.UNKNOWN_ORIGIN`). A site's own rules (placements,
blocked advertisers, excluded categories) and a campaign's `targeting.sites` / `exclude_sites` depend on the
request's site, not the article: `decide` applies them after the article's cached plan, as the reader's rules.
Pure values, no I/O: `catalog.sites` loads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna

DEFAULT = "default"  # the one implicit site of a catalog without sites: every page, billed as ever
UNKNOWN = "unknown"  # what events and reports call a site id that is no site of the catalog
SITE_STATUSES = ("active", "archived")


@dataclass(frozen=True)
class Site:
    id: str
    name: str = ""
    domains: frozenset[str] = frozenset()  # hosts, in lower case and punycode; `*.x` for x's subdomains
    placements: frozenset[str] = frozenset()  # empty: every placement
    blocked_advertisers: frozenset[str] = frozenset()
    exclude_categories: frozenset[str] = frozenset()
    revenue_share: float = 0.0  # the publisher's part of the spend on its pages (0..1)
    status: str = "active"

    @property
    def rules(self) -> bool:
        """Whether it restricts what serves on it (else nothing per request need look at it)."""
        return bool(self.placements or self.blocked_advertisers or self.exclude_categories)

    def serves(self, host: str) -> bool:
        """Whether a page on `host` is this site's: a domain, or a subdomain under a `*.` domain."""
        if not host:
            return False
        if host in self.domains:
            return True
        dot = host.find(".")
        while dot != -1:  # a.b.news.example under *.news.example
            if "*" + host[dot:] in self.domains:
                return True
            dot = host.find(".", dot + 1)
        return False


@dataclass(frozen=True)
class Page:
    """The page asking for a card, as billing sees it: whose it is and whether it is known."""

    site: str  # the id its events carry: a catalog site, DEFAULT (no sites at all) or UNKNOWN (no such site)
    host: str
    known: bool  # its host is one of its site's domains (or the catalog has no sites): its events bill
    why: str = ""  # why it is not known, for explain

    @property
    def unknown(self) -> bool:
        return not self.known


def page(sites: Mapping[str, Site], site_id: str, host: str) -> Page:
    """The page on `host` claiming `site_id` ('' for none: the site whose domains hold `host`, if one does)."""
    if not sites:
        return Page(DEFAULT, host, True)
    if not site_id:
        site_id = next((x.id for x in sites.values() if x.serves(host)), "")
        if not site_id:
            return Page(UNKNOWN, host, False, _no_site(host))
    site = sites.get(site_id)
    if site is None:
        return Page(UNKNOWN, host, False, f"no site {site_id} in the catalog")
    if not site.serves(host):
        return Page(
            site.id,
            host,
            False,
            f"the page's host {host} is not one of site {site.id}'s domains"
            if host
            else "no Origin, Referer or article.url names the page's host",
        )
    return Page(site.id, host, True)


def _no_site(host: str) -> str:
    return f"no site lists the page's host {host}" if host else "no Origin, Referer or article.url names the page"


def page_host(origin: str | None, referer: str | None, url: str | None) -> str:
    """The host of the page asking: its `Origin` (a browser sends it on the snippet's cross-origin request),
    else its `Referer`, else the article's URL; lower case and punycode, '' when none says."""
    for raw in (origin, referer, url):
        if raw and raw != "null":  # an opaque origin (sandboxed frame, file:) says nothing
            return host_of(raw)
    return ""


def host_of(url: str) -> str:
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError:
        return ""
