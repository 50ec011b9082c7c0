"""HTTP edges: parse, call the core, serialise."""

from __future__ import annotations

import functools
import inspect

from flask import current_app, request
from flask_smorest import Blueprint as _Blueprint

from ..audience import client as audience_client
from ..audience import devices, geo
from ..services import Services
from .parser import Parser


class Blueprint(_Blueprint):
    """flask-smorest blueprint whose argument errors are our 400 shape."""

    ARGUMENTS_PARSER = Parser(placements=lambda: services().settings.placements)

    def body_arguments(self, schema):
        """`arguments(schema)` (the JSON body) for a view on the decision path: the same OpenAPI document, but a
        request runs the parse and the view alone instead of a wrapper per flask-smorest decorator, each one
        resolving the app and inspecting the function anew. The outermost decorator; those below it may only
        document (`alt_response`, `doc`, and `response` of a view that returns its own Response)."""
        documented = self.arguments(schema)
        parse = self.ARGUMENTS_PARSER.parse

        def decorator(func):
            view = inspect.unwrap(func)

            @functools.wraps(documented(func))  # the document's notes (`_apidoc`) ride on the function
            def direct(*args, **kwargs):
                return view(*args, parse(schema, location="json"), **kwargs)

            return direct

        return decorator


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
