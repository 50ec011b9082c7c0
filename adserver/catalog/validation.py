"""What every part of the catalog file validates with: strict schemas, slug ids, whole numbers, and one loader
that turns marshmallow's errors into the catalog's (a rule across fields, `Refusal`, is a `Refused`)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from ..errors import change_error, flatten_messages

SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9._-]{0,63}$", error="Use 1-64 characters: a-z, 0-9, '.', '_' or '-'.")


def is_slug(ident: str) -> bool:
    """Whether `ident` can be an id at all: one that cannot is no campaign of anyone's (and never reaches SQL,
    which refuses a NUL byte with an error, not an empty answer)."""
    return SLUG.regex.match(ident) is not None


class Strict(Schema):
    class Meta:
        unknown = RAISE  # a typo in a catalog file is an error, not a silently ignored key


class WholeNumber(fields.Integer):
    """An integer as JSON Schema has it: 5 or 5.0, never "5", 5.5 or true."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def load(schema: Schema, data: Any, what: str) -> dict:
    """`data` loaded by `schema`; CatalogError naming every bad field (Refused when only rules across fields
    refuse it: the API answers 422)."""
    valid, problems = load_partly(schema, data)
    if problems:
        raise change_error(f"{what} has {len(problems)} invalid field(s)", problems)
    return valid


def load_partly(schema: Schema, data: Any) -> tuple[dict, dict[str, list[str]]]:
    """What of `data` `schema` accepts (a bad field left out, defaults filled in), and every bad field's
    messages by path: so rules on the valid fields can be checked in the same round."""
    try:
        return schema.load(data if data is not None else {}), {}
    except ValidationError as e:
        valid = e.valid_data if isinstance(e.valid_data, dict) else {}
        return valid, flatten_messages(e.messages)
