"""Field types shared by the request schemas, and the one function that turns validation errors into 400s.

Each text pattern is both checked here (with Python's `re`, as clients' JSON Schema validators do)
and published in the OpenAPI document, so the contract and the behaviour cannot drift apart.
"""

import re
import typing
from datetime import datetime
from typing import Annotated, Any, ClassVar, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema

from iris.errors import InvalidInput
from iris.models import USERNAME_PATTERN
from iris.timeparse import ISO8601_SCHEMA, parse_iso8601

STORABLE_TEXT = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
# Every character that some regex engine counts as whitespace (Python's, ECMA-262's, Rust's), spelled
# out rather than left to `\s`, whose meaning differs between the engines that read this pattern.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# Characters that show nothing by themselves (zero-width spaces and joiners, the word joiner, bidi
# marks and isolates, the soft hyphen, fillers): a title made only of these is blank to a person.
INVISIBLE = (
    "\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    + "".join(map(chr, range(0x202A, 0x202F)))
    + "".join(map(chr, range(0x2060, 0x2070)))
    + "\u3164\uffa0"
)
NON_BLANK_TEXT = "^[^\\x00]*[^\\x00" + WHITESPACE + INVISIBLE + "][^\\x00]*$"
_STORABLE = re.compile(STORABLE_TEXT)
_NON_BLANK = re.compile(NON_BLANK_TEXT)


def _storable(value: str) -> str:
    if not _STORABLE.search(value):
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from JSON escapes like "\ud800"
        raise ValueError("must be valid Unicode text") from None
    return value


def _not_blank(value: str) -> str:
    if not _NON_BLANK.search(value):
        raise ValueError("must not be empty")
    return value


def text(max_length: int, *, required: bool = False):
    """A text field of at most `max_length` characters; `required` ones must not be empty or blank."""
    if required:
        return Annotated[
            str,
            Field(min_length=1, max_length=max_length, json_schema_extra={"pattern": NON_BLANK_TEXT}),
            AfterValidator(_storable),
            AfterValidator(_not_blank),
        ]
    return Annotated[
        str, Field(max_length=max_length, json_schema_extra={"pattern": STORABLE_TEXT}), AfterValidator(_storable)
    ]


USERNAME_RULE = "a username: 1 to 64 letters, digits, '.', '_' or '-'"
Username = Annotated[
    str,
    Field(min_length=1, max_length=64, pattern=USERNAME_PATTERN, description=USERNAME_RULE),
]

IsoDateTime = Annotated[datetime, BeforeValidator(parse_iso8601), WithJsonSchema(ISO8601_SCHEMA)]


class Input(BaseModel):
    """A request body: unknown fields and loose types are errors."""

    model_config = ConfigDict(extra="forbid", strict=True)
    # Fields a client might send that this body refuses with a pointer to what to do instead.
    REFUSED: ClassVar[dict[str, str]] = {}


_MESSAGES = {
    "extra_forbidden": "unknown field",
    "missing": "is required",
    "string_too_short": "must not be empty",
    "string_type": "must be a string",
}


def _message(error: dict) -> str:
    if error["type"] in _MESSAGES:
        return _MESSAGES[error["type"]]
    if error["type"] == "string_too_long":
        return f"must be at most {error['ctx']['max_length']} characters"
    if error["type"] == "string_pattern_mismatch" and error["ctx"]["pattern"] == USERNAME_PATTERN:
        return f"must be {USERNAME_RULE}"
    if error["type"] == "too_long":
        return f"must have at most {error['ctx']['max_length']} items"
    return error["msg"].removeprefix("Value error, ")


def parse(schema: type[Input], data: Any):
    """Validate `data` against `schema`, raising InvalidInput that names every offending field."""
    if not isinstance(data, dict):
        raise InvalidInput({"body": "must be a JSON object"})
    refused = {k: v for k, v in schema.REFUSED.items() if k in data}
    if refused:
        raise InvalidInput(refused)
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "body"
            refusal = _refusal(schema, error["loc"]) if error["type"] == "extra_forbidden" else None
            errors.setdefault(field, refusal or _message(error))
        raise InvalidInput(errors) from None


def _refusal(schema: type[Input], loc: tuple) -> Optional[str]:
    """The REFUSED message for an unknown field deep in a body (e.g. items.3.changes.status)."""
    model: Any = schema
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        candidates = [field.annotation, *typing.get_args(field.annotation)]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            return None
    return getattr(model, "REFUSED", {}).get(loc[-1])
