"""Domain exceptions. The API maps them to HTTP in one handler (`api/errors.py`)."""

from __future__ import annotations


class Refusal(str):
    """A validation message for a well-formed value that a rule across fields refuses (a daily budget above the
    total, an article with nothing to match): the document cannot state it, so the API answers 422, not 400."""


class Taken(Refusal):
    """A well-formed id that another row already has: alone, the API answers 409."""


def refusals_only(fields: dict[str, list[str]]) -> bool:
    """Whether every message is a `Refusal`: a well-formed request that only rules refuse (the API's 422)."""
    return bool(fields) and all(isinstance(m, Refusal) for ms in fields.values() for m in ms)


def change_error(message: str, fields: dict[str, list[str]]) -> CatalogError:
    """The one error for every problem of a change, found in one round: any shape error makes it a
    CatalogError (400); else only ids in use, a Conflict (409); else rules refuse it, Refused (422)."""
    if not refusals_only(fields):
        return CatalogError(message, fields)
    if all(isinstance(m, Taken) for ms in fields.values() for m in ms):
        return Conflict(message, fields)
    return Refused(message, fields)


class AdserverError(Exception):
    """Base of the domain's errors."""


class InvalidContext(AdserverError):
    """The article context cannot be decided on; `fields` maps dotted paths to messages."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.fields = fields or {}


class CatalogError(AdserverError):
    """A catalog file or change is invalid; `fields` maps dotted paths to messages."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.fields = fields or {}


class Conflict(CatalogError):
    """A change would create an id that is already in use (ids are unique across the catalog)."""


class Refused(CatalogError):
    """A well-formed change that this deployment does not allow: the operator's relevance policy or limits, the
    advertiser's caps, an archived campaign. The API answers 422: the document cannot know these rules."""


class NotFound(AdserverError):
    pass


def flatten_messages(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict -> {"article.keywords.3": ["Not a valid string."]}."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = str(key) if not prefix else (prefix if key == "_schema" else f"{prefix}.{key}")
            if key == "_schema" and not prefix:
                path = "_body"
            for p, msgs in flatten_messages(value, path).items():
                out.setdefault(p, []).extend(msgs)
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out[prefix or "_body"] = list(messages)
        else:
            for m in messages:
                for p, msgs in flatten_messages(m, prefix).items():
                    out.setdefault(p, []).extend(msgs)
    else:
        out[prefix or "_body"] = [str(messages)]
    return out
