"""Request arguments for the API's views: webargs with our 400/415 shape and a memo of valid ones.

Every reader of one article page sends the same body (or query string), so a valid one seen recently
is not parsed and validated again.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
from marshmallow import Schema, ValidationError, missing
from webargs.flaskparser import FlaskParser, is_json_request

from ..errors import flatten_messages, refusals_only
from ..infra.memo import LRU
from .errors import ApiError, field_message
from .schemas import NOTHING_TO_MATCH, placements_allowed

MEMO_MAX_BYTES = 4096  # bodies and query strings up to this size are remembered once valid
MEMO_SIZE = 1024


class Parser(FlaskParser):
    """webargs parser whose validation errors become our 400 with dotted field paths (422 for an article
    with nothing to match, which the document cannot say of query parameters).

    Only successful parses are remembered; callers must treat the parsed arguments as read-only, since
    the same object answers every identical request."""

    DEFAULT_VALIDATION_STATUS = 400

    def __init__(self, placements: Callable[[], tuple[str, ...]], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.placements = placements  # this app's, which the decision schemas check against
        self.memo: LRU[tuple, dict] = LRU(MEMO_SIZE)

    def parse(self, argmap, req=None, *, location=None, **kwargs):
        allowed = self.placements()
        req = req if req is not None else self.get_default_request()
        raw = None
        if isinstance(argmap, Schema):
            if location == "json" and is_json_request(req):
                raw = req.get_data(cache=True)
            elif location == "query":
                raw = req.query_string
        if raw is None or len(raw) > MEMO_MAX_BYTES:
            return self._load(argmap, req, allowed, location=location, **kwargs)
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
                        return self._load(argmap, req, allowed, location=location, **kwargs)  # the schema says why
            if own:
                prefixes = tuple(f"{name}=".encode() for name in own)
                raw = b"&".join(p for p in raw.split(b"&") if not p.startswith(prefixes))
        key = (id(argmap), location, raw, allowed)
        data = self.memo.get(key)
        if data is None:
            data = self._load(argmap, req, allowed, location=location, **kwargs)
            if own:
                data = {k: v for k, v in data.items() if k not in own}
            self.memo.put(key, data)
        return {**data, **own} if own else data

    def _load(self, argmap, req, allowed: tuple[str, ...], *, location, **kwargs):
        """webargs' parse and validation, with this app's placements (a remembered answer needs neither)."""
        with placements_allowed(allowed):
            return super().parse(argmap, req, location=location, **kwargs)

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        messages = error.messages
        # webargs nests messages under the location ("json", "query"); the path starts after it.
        if isinstance(messages, dict) and len(messages) == 1 and next(iter(messages)) in ("json", "query"):
            messages = next(iter(messages.values()))
        fields = flatten_messages(messages)
        if all(m == NOTHING_TO_MATCH for ms in fields.values() for m in ms):  # well formed, nothing to read
            raise ApiError(422, "nothing_to_match", NOTHING_TO_MATCH, fields)
        if refusals_only(fields):
            raise ApiError(422, "refused", field_message(fields), fields)
        raise ApiError(400, "invalid_request", field_message(fields), fields)

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
