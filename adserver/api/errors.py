"""Every 4xx/5xx body has one shape: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import logging

import orjson
from flask import Flask, jsonify, request
from marshmallow import Schema, ValidationError, missing
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import HTTPException

from ..errors import CatalogError, Conflict, InvalidContext, NotFound, flatten_messages
from ..memo import LRU

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _field_message(fields: dict[str, list[str]]) -> str:
    first = next(iter(fields))
    return f"invalid field {first}: {fields[first][0]}" if first != "_body" else fields[first][0]


# The longest query string read (bytes, percent-encoded). gunicorn's request line limit (8,190, in
# config/gunicorn.conf.py) leaves room for it and the path, so every longer one gets our 414 in the error
# shape, not the server's HTML page. Longer articles go in a POST body (16 KiB).
MAX_QUERY_BYTES = 8000
MEMO_MAX_BYTES = 4096  # bodies and query strings up to this size are remembered once valid
MEMO_SIZE = 1024


class Parser(FlaskParser):
    """webargs parser whose validation errors become our 400, with dotted field paths.

    Every reader of one article page sends the same body (or query string): a valid one seen recently
    is not parsed and validated again. Only successful parses are remembered; callers must treat the
    parsed arguments as read-only, since the same object answers every identical request."""

    DEFAULT_VALIDATION_STATUS = 400

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.memo: LRU[tuple, dict] = LRU(MEMO_SIZE)

    def parse(self, argmap, req=None, *, location=None, **kwargs):
        req = req if req is not None else self.get_default_request()
        raw = None
        if isinstance(argmap, Schema):
            if location == "json" and is_json_request(req):
                raw = req.get_data(cache=True)
            elif location == "query":
                raw = req.query_string
        if raw is None or len(raw) > MEMO_MAX_BYTES:
            return super().parse(argmap, req, location=location, **kwargs)
        own: dict = {}
        if location == "query":
            # Fields that differ per reader of one page (the schema's PER_REQUEST, e.g. the snippet's
            # `reader=`) are left out of the key and added back, checked by the schema's own field.
            for name in getattr(argmap, "PER_REQUEST", ()):
                value = req.args.get(name)
                if value is not None:
                    try:
                        own[name] = argmap.fields[name].deserialize(value)
                    except ValidationError:
                        return super().parse(argmap, req, location=location, **kwargs)  # the schema says why
            if own:
                prefixes = tuple(f"{name}=".encode() for name in own)
                raw = b"&".join(p for p in raw.split(b"&") if not p.startswith(prefixes))
        key = (id(argmap), location, raw)
        data = self.memo.get(key)
        if data is None:
            data = super().parse(argmap, req, location=location, **kwargs)
            if own:
                data = {k: v for k, v in data.items() if k not in own}
            self.memo.put(key, data)
        return {**data, **own} if own else data

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        messages = error.messages
        # webargs nests messages under the location ("json", "query"); the path starts after it.
        if isinstance(messages, dict) and len(messages) == 1 and next(iter(messages)) in ("json", "query"):
            messages = next(iter(messages.values()))
        fields = flatten_messages(messages)
        raise ApiError(400, "invalid_request", _field_message(fields), fields)

    def _raw_load_json(self, req):
        # A body sent as another media type is a 415, not webargs' silent 'missing'.
        if not is_json_request(req):
            if req.get_data(cache=True):
                raise ApiError(415, "unsupported_media_type", "send the body as application/json")
            return missing
        data = req.get_data(cache=True)
        if not data:
            return missing
        # orjson, not webargs' json.loads: its recursive decoder raised RecursionError (a 500) on a 14 KB
        # body of nested arrays; orjson stops at 1,024 levels with a decode error (our 400).
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as e:
            return self._handle_invalid_json_error(e, req)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        raise ApiError(400, "invalid_json", "the body is not valid JSON", {"_body": ["Invalid JSON."]})


def register(app: Flask) -> None:
    @app.before_request
    def _query_string_limit():
        if len(request.query_string) > MAX_QUERY_BYTES:
            raise ApiError(
                414,
                "uri_too_long",
                f"the query string is longer than {MAX_QUERY_BYTES} bytes; send the article as a POST body",
            )

    @app.errorhandler(ApiError)
    def _api_error(e: ApiError):
        return jsonify(error_body(e.code, e.message, e.fields)), e.status

    @app.errorhandler(InvalidContext)
    def _invalid_context(e: InvalidContext):
        return jsonify(error_body("invalid_request", str(e), e.fields)), 400

    @app.errorhandler(CatalogError)
    def _catalog(e: CatalogError):
        status, code = (409, "conflict") if isinstance(e, Conflict) else (400, "invalid_request")
        message = _field_message(e.fields) if e.fields else str(e)
        return jsonify(error_body(code, message, e.fields)), status

    @app.errorhandler(NotFound)
    def _not_found(e: NotFound):  # another advertiser's campaign is the same 404 as a missing one
        return jsonify(error_body("not_found", str(e))), 404

    @app.errorhandler(ValidationError)
    def _validation(e: ValidationError):
        fields = flatten_messages(e.messages)
        return jsonify(error_body("invalid_request", _field_message(fields), fields)), 400

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        code = (e.name or "error").lower().replace(" ", "_")
        if e.code == 413:
            message = f"request body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes"
        else:
            message = e.description or e.name
        resp = jsonify(error_body(code, message))
        resp.status_code = e.code or 500
        for k, v in e.get_headers() if e.code == 405 else []:
            if k.lower() == "allow":
                resp.headers[k] = v
        return resp

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        log.exception("unhandled error")
        return jsonify(error_body("internal_error", "internal error")), 500
