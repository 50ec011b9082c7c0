"""The publisher snippet, `/embed.js`: the script a publisher's page includes to fill its sponsor slots
(its source is `adserver/static/embed.js`)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

bp = Blueprint("embed", __name__)


@bp.get("/embed.js")
@bp.get("/embed.v1.js")
def embed_js() -> Response:
    """The snippet (ETag from send_static_file). `/embed.js` is revalidated every 5 minutes so fixes roll out;
    `/embed.v1.js` pins the v1 contract and may be cached for a day."""
    resp = current_app.send_static_file("embed.js")
    pinned = request.path == "/embed.v1.js"
    resp.headers["Cache-Control"] = "public, max-age=86400" if pinned else "public, max-age=300"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp
