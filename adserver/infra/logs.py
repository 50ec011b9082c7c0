"""Log lines: JSON (python-json-logger) in production, text in development; a request id on every line
logged while a request is handled, and one access line per request."""

from __future__ import annotations

import logging
import re
import sys
import time

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.orjson import OrjsonFormatter

from ..settings import Settings
from .ids import random_id

ACCESS = logging.getLogger("adserver.access")
REQUEST_ID_HEADER = "X-Request-Id"
# An incoming id is kept when it looks like one (a proxy's or a client's); anything else could forge
# log lines or fill them, so it is replaced.
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "") if has_request_context() else ""
        return True


class _Text(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        return f"{line} [{record.request_id}]" if getattr(record, "request_id", "") else line


def json_formatter() -> OrjsonFormatter:
    """One JSON object per line (also gunicorn's own lines: config/gunicorn.conf.py)."""
    return OrjsonFormatter(
        "%(levelname)s %(name)s %(message)s %(request_id)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",  # ISO 8601, UTC
    )


def configure(settings: Settings) -> None:
    """One handler on the root logger, to stderr; replaces the one an earlier call installed."""
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, "_adserver", False)]:
        root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler._adserver = True
    handler.addFilter(_RequestId())
    if settings.log_format == "json":
        handler.setFormatter(json_formatter())
    else:
        handler.setFormatter(_Text(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())


def init_app(app: Flask, settings: Settings) -> None:
    """Give each request its id (the incoming X-Request-Id when valid), echo it, and log access lines."""
    access = settings.access_log

    @app.before_request
    def _start() -> None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if given and _VALID_ID.fullmatch(given) else random_id()
        g.started = time.perf_counter()

    @app.after_request
    def _finish(resp):
        rid = g.get("request_id")
        if rid is None:  # a request refused before `_start` ran
            return resp
        resp.headers[REQUEST_ID_HEADER] = rid
        if access and ACCESS.isEnabledFor(logging.INFO):  # else the line's fields are not even gathered
            ACCESS.info(
                "%s %s %s",
                request.method,
                request.path,
                resp.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": resp.status_code,
                    "duration_ms": round((time.perf_counter() - g.started) * 1000, 2),
                    "remote_addr": request.remote_addr,
                    "user_agent": request.headers.get("User-Agent", "")[:256],
                    "bytes": resp.content_length,
                },
            )
        return resp
