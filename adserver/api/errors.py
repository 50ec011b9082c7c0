"""Every 4xx/5xx body has one shape: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from ..errors import CatalogError, Conflict, InvalidContext, NotFound, Refused, flatten_messages, refusals_only

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def field_message(fields: dict[str, list[str]]) -> str:
    first = next(iter(fields))
    return f"invalid field {first}: {fields[first][0]}" if first != "_body" else fields[first][0]


# The longest query string read (bytes, percent-encoded). gunicorn's request line limit (8,190, in
# config/gunicorn.conf.py) leaves room for it and the path, so every longer one gets our 414 in the error
# shape, not the server's HTML page. Longer articles go in a POST body (16 KiB).
MAX_QUERY_BYTES = 8000


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
        if refusals_only(e.fields):
            return jsonify(error_body("refused", field_message(e.fields), e.fields)), 422
        return jsonify(error_body("invalid_request", str(e), e.fields)), 400

    @app.errorhandler(CatalogError)
    def _catalog(e: CatalogError):
        if isinstance(e, Conflict):
            status, code = 409, "conflict"
        elif isinstance(e, Refused):
            status, code = 422, "refused"
        else:
            status, code = 400, "invalid_request"
        message = field_message(e.fields) if e.fields else str(e)
        return jsonify(error_body(code, message, e.fields)), status

    @app.errorhandler(NotFound)
    def _not_found(e: NotFound):  # another advertiser's campaign is the same 404 as a missing one
        return jsonify(error_body("not_found", str(e))), 404

    @app.errorhandler(ValidationError)
    def _validation(e: ValidationError):
        fields = flatten_messages(e.messages)
        return jsonify(error_body("invalid_request", field_message(fields), fields)), 400

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
