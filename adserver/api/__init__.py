"""HTTP edges: parse, call the core, serialise."""

from __future__ import annotations

from flask import current_app, request
from flask_smorest import Blueprint as _Blueprint

from ..audience import client as audience_client
from ..audience import devices, geo
from ..services import Services
from .parser import Parser


class Blueprint(_Blueprint):
    """flask-smorest blueprint whose argument errors are our 400 shape."""

    ARGUMENTS_PARSER = Parser(placements=lambda: services().settings.placements)


def services() -> Services:
    return current_app.extensions["adserver"]


def client() -> audience_client.Requester:
    """Who made the current request, as its events record it. The address itself is only looked up, never
    kept."""
    ua = request.headers.get("User-Agent", "")
    settings = services().settings
    header = settings.country_header
    address = request.remote_addr or ""
    return audience_client.Requester(
        audience_client.non_billable_reason(ua, request.headers),
        audience_client.ip_hash(address, settings.secret_key),
        devices.ua_class(ua),
        geo.country(request.headers.get(header) if header else None, address, services().countries),
    )
