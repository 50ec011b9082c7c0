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
def embed_js() -> Response:
    """The publisher snippet (served here so the page needs no third-party host)."""
    from flask import current_app

    resp = current_app.send_static_file("embed.js")
    resp.headers["Cache-Control"] = "public, max-age=300"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp
