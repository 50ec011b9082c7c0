"""The app factory proper (kept out of `__init__` so importing the package stays cheap)."""

from __future__ import annotations

import orjson
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix

from . import __version__
from .api import (
    advertisers,
    campaigns,
    decision,
    decisions,
    embed,
    errors,
    forecast,
    health,
    metrics,
    pages,
    reports,
    track,
)
from .api.schemas import ErrorSchema, document_rules, document_schema_rules, numeric_bounds, schema_name
from .audience import devices
from .audience.bots import is_bot
from .events.heartbeat import Heartbeat
from .infra import logs
from .services import Services
from .settings import load_settings


class _JSON(DefaultJSONProvider):
    """orjson instead of the json module: the decision response is serialised on every request.
    Dates still go through Flask's default (HTTP dates), so responses look the same."""

    _options = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME

    def dumps(self, obj, **kwargs) -> str:
        if kwargs.get("indent") or kwargs.get("sort_keys", self.sort_keys) or kwargs.get("cls"):
            return super().dumps(obj, **kwargs)  # pretty or sorted output: the json module's job
        return orjson.dumps(obj, default=self.default, option=self._options).decode()

    def loads(self, s, **kwargs):
        return orjson.loads(s) if not kwargs else super().loads(s, **kwargs)

    def response(self, *args, **kwargs):
        if self._app.debug or self.compact is False:
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        body = orjson.dumps(obj, default=self.default, option=self._options | orjson.OPT_APPEND_NEWLINE)
        return self._app.response_class(body, mimetype=self.mimetype)


class _Api(Api):
    ERROR_SCHEMA = ErrorSchema  # document our error shape, not flask-smorest's


def create_app(overrides: dict | None = None) -> Flask:
    settings = load_settings(overrides)
    app = Flask(__name__)
    app.json = _JSON(app)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        TRUSTED_HOSTS=list(settings.allowed_hosts) or None,  # Flask answers 400 to any other Host header
        API_TITLE="adserver",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_REDOC_PATH="/docs",
        OPENAPI_REDOC_URL="/static/vendor/redoc.standalone.js",
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False
    services = Services.from_settings(settings)
    # Compile the bot list now, not inside some reader's first decision.
    is_bot("Mozilla/5.0")
    devices.warm()  # ua-parser's rules, likewise
    services.matcher.warm()  # the matcher's encoder, likewise
    services.heartbeat = Heartbeat(services.redis, services.events.spool).start()  # in this (forked) process
    app.extensions["adserver"] = services
    logs.configure(settings)
    logs.init_app(app, settings)

    api = _Api(
        app,
        spec_kwargs={
            "info": {"description": "Contextual sponsored-card decisions for news sites."},
            "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name),
        },
    )
    api.ma_plugin.converter.add_attribute_function(numeric_bounds)
    api.ma_plugin.converter.add_attribute_function(document_rules(settings.placements))
    errors.register(app)
    for module in (decision, decisions, track, reports, advertisers, campaigns, forecast, health):
        api.register_blueprint(module.blp)
    document_schema_rules(api.spec)
    app.register_blueprint(pages.bp)
    app.register_blueprint(embed.bp)
    app.register_blueprint(metrics.bp)
    app.after_request(_headers)
    if settings.trusted_proxy_hops:
        # The client is the address the outermost trusted proxy saw; the access log reads the same
        # REMOTE_ADDR. The Host header is never taken from X-Forwarded-Host (tracking URLs use PUBLIC_URL).
        hops = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)
    return app


def _headers(resp):
    """Publisher pages call us cross-origin without credentials; we never set cookies."""
    from flask import request

    # One pass over the headers a view set, then one extend: werkzeug's `set`/`setdefault` scan them all per call.
    headers = resp.headers
    given = {k.lower() for k in headers.keys()}
    new = []
    if request.path.startswith(("/v1/decision", "/t/", "/embed.js")):
        for k, v in CORS:
            if k.lower() in given:
                headers[k] = v  # the view's own value is replaced, in its place
            else:
                new.append((k, v))
    new += [(k, v) for k, v in SECURITY if k.lower() not in given]
    if resp.mimetype == "text/html":  # /demo, /reports, /docs, /: our own pages, never framed by others
        new += [(k, v) for k, v in OWN_PAGES if k.lower() not in given]
    headers.extend(new)
    return resp


CORS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
    ("Access-Control-Allow-Headers", "Content-Type, X-Reader-Id"),
    ("Access-Control-Max-Age", "86400"),
)
SECURITY = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "strict-origin-when-cross-origin"))  # unless set


# Scripts only from this origin (the pages, embed.js, vendored ReDoc and uPlot have no inline script);
# inline styles (the pages' <style>, ReDoc's styled components); card images from advertisers over https.
PAGE_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: https:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
OWN_PAGES = (("Content-Security-Policy", PAGE_CSP), ("X-Frame-Options", "DENY"))  # unless set
