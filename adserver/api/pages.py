"""HTML pages: the demo article page (what a publisher's page looks like with the card), the index, reports."""

from __future__ import annotations

from flask import Blueprint, Response

from ..demo import DEMO_ARTICLE
from ..serving.rendering import render

bp = Blueprint("pages", __name__)


@bp.get("/demo")
def demo() -> Response:
    """A news article page like a publisher's, with the sponsor slot under the article."""
    html = render("demo.html", article=DEMO_ARTICLE)
    return Response(html, mimetype="text/html", headers={"Cache-Control": "no-store"})


@bp.get("/")
def index() -> Response:
    return Response(render("index.html"), mimetype="text/html")


@bp.get("/advertiser")
def advertiser_page() -> Response:
    """The advertiser's own campaigns and creatives (the self-service API); the token lives in the tab's memory."""
    return Response(render("advertiser.html"), mimetype="text/html", headers={"Cache-Control": "no-store"})


@bp.get("/reports")
def reports_page() -> Response:
    """The advertiser's report page; the token lives in the tab's memory only."""
    return Response(render("reports.html"), mimetype="text/html", headers={"Cache-Control": "no-store"})
