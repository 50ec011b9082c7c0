"""HTTP edges: parse, call the core, serialise."""

from __future__ import annotations

from flask import current_app, request
from flask_smorest import Blueprint as _Blueprint

from .. import devices
from ..events import client as events_client
from ..services import Services
from .parser import Parser


class Blueprint(_Blueprint):
    """flask-smorest blueprint whose argument errors are our 400 shape."""

    ARGUMENTS_PARSER = Parser(placements=lambda: services().settings.placements)


def services() -> Services:
    return current_app.extensions["adserver"]


def client() -> tuple[str, str, str]:
    """(non-billable reason or '', truncated-IP hash, user-agent class) of the current request."""
    ua = request.headers.get("User-Agent", "")
    salt = services().settings.secret_key
    return (
        events_client.non_billable_reason(ua, request.headers),
        events_client.ip_hash(request.remote_addr or "", salt),
        devices.ua_class(ua),
    )
