"""HTML pages: the demo article page (what a publisher's page looks like with the card)."""

from __future__ import annotations

from flask import Blueprint, Response

from ..demo import DEMO_ARTICLE
from ..rendering import render

bp = Blueprint("pages", __name__)


@bp.get("/demo")
def demo() -> Response:
    """A news article page like a publisher's, with the sponsor slot under the article."""
    html = render("demo.html", article=DEMO_ARTICLE)
    return Response(html, mimetype="text/html", headers={"Cache-Control": "no-store"})


@bp.get("/")
def index() -> Response:
    return Response(render("index.html"), mimetype="text/html")


@bp.get("/embed.js")
@bp.get("/embed.v1.js")
def embed_js() -> Response:
    """The publisher snippet (ETag from send_static_file). `/embed.js` is revalidated every 5 minutes so fixes roll out;
    `/embed.v1.js` pins the v1 contract and may be cached for a day."""
    from flask import current_app, request

    resp = current_app.send_static_file("embed.js")
    pinned = request.path == "/embed.v1.js"
    resp.headers["Cache-Control"] = "public, max-age=86400" if pinned else "public, max-age=300"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


@bp.get("/advertiser")
def advertiser_page() -> Response:
    """The advertiser's own campaigns and creatives (the self-service API); the token lives in the tab's memory."""
    return Response(render("advertiser.html"), mimetype="text/html", headers={"Cache-Control": "no-store"})


@bp.get("/reports")
def reports_page() -> Response:
    """The advertiser's report page; the token lives in the tab's memory only."""
    return Response(render("reports.html"), mimetype="text/html", headers={"Cache-Control": "no-store"})
