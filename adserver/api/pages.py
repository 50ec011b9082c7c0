"""HTML pages: the demo article page (what a publisher's page looks like with the card), the index, reports."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from flask import Blueprint, Response
from iso3166 import countries_by_alpha2

from ..audience.devices import DEVICES
from ..audience.geo import REGIONS
from ..demo import DEMO_ARTICLE
from ..serving.categories import categories
from ..serving.rendering import render
from ..serving.schedule import DAYS
from ..serving.snapshot import PACING, SENTIMENTS
from ..serving.taxonomy import taxonomy

bp = Blueprint("pages", __name__)


@bp.get("/demo")
def demo() -> Response:
    """A news article page like a publisher's, with the sponsor slot under the article."""
    html = render("demo.html", article=DEMO_ARTICLE)
    return Response(html, mimetype="text/html", headers={"Cache-Control": "no-store"})


@bp.get("/")
def index() -> Response:
    return Response(render("index.html"), mimetype="text/html")


def _named(name: str) -> str:
    """A taxonomy node or category as people write it: 'artificial-intelligence' -> 'Artificial intelligence'."""
    return name.replace("-", " ").capitalize()


@cache
def _choices() -> dict:
    """What the campaign form offers to pick from: the taxonomy's topics under their news sections, and the
    values the catalog file's schema takes (countries by name, regions, devices, days, tones, categories)."""
    t = taxonomy()
    sections = [n for n in t.names if not t.nodes[n].parent]
    return {
        "sections": [(_named(s), [(n, _named(n)) for n in t.names if t.section(n) == s]) for s in sections],
        "countries": sorted(((code, c.name) for code, c in countries_by_alpha2.items()), key=lambda x: x[1]),
        "regions": [(r, r) for r in REGIONS],
        "devices": [(d, d.capitalize()) for d in DEVICES],
        "days": [(d, d.capitalize()) for d in DAYS],
        "tones": [(t, t) for t in SENTIMENTS],
        "categories": [(c, _named(c)) for c in categories()],
        "pacing": PACING,
        "zones": sorted(available_timezones()),
    }


@bp.get("/advertiser")
def advertiser_page() -> Response:
    """The advertiser's own campaigns and creatives (the self-service API); the token lives in the tab's memory."""
    html = render("advertiser.html", **_choices())
    return Response(html, mimetype="text/html", headers={"Cache-Control": "no-store"})


@bp.get("/reports")
def reports_page() -> Response:
    """The advertiser's report page; the token lives in the tab's memory only."""
    return Response(render("reports.html"), mimetype="text/html", headers={"Cache-Control": "no-store"})
