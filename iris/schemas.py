"""Request and response schemas (pydantic v2). Validation errors become `{"errors": {field: message}}`."""

import re
from datetime import datetime
from typing import Annotated, Any, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema

from iris.errors import InvalidInput
from iris.timeparse import ISO8601_SCHEMA, iso_utc, parse_iso8601

TITLE_MAX = 200
ASSIGNEE_MAX = 100
DESCRIPTION_MAX = 20_000


# The patterns are both checked here (with Python's `re`, as clients' JSON Schema validators do) and
# published in the OpenAPI document, so the contract and the behaviour cannot drift apart.
STORABLE_TEXT = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
NON_BLANK_TEXT = r"^[^\x00]*[^\s\x00][^\x00]*$"
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


def _pattern(pattern: str):
    return Field(json_schema_extra={"pattern": pattern})


Title = Annotated[str, Field(min_length=1, max_length=TITLE_MAX), _pattern(NON_BLANK_TEXT), AfterValidator(_storable), AfterValidator(_not_blank)]
Assignee = Annotated[str, Field(max_length=ASSIGNEE_MAX), _pattern(STORABLE_TEXT), AfterValidator(_storable)]
Description = Annotated[str, Field(max_length=DESCRIPTION_MAX), _pattern(STORABLE_TEXT), AfterValidator(_storable)]
IsoDateTime = Annotated[datetime, BeforeValidator(parse_iso8601), WithJsonSchema(ISO8601_SCHEMA)]

READ_ONLY = {"ticket_id": "is set by the server", "created": "is set by the server", "updated": "is set by the server"}


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class TicketCreate(_Input):
    title: Title
    assignee: Optional[Assignee] = None
    description: Optional[Description] = None
    due: Optional[IsoDateTime] = None


class TicketPatch(_Input):
    title: Title = None  # may be left out, never null: the default is only a marker for "unchanged"
    assignee: Optional[Assignee] = None
    description: Optional[Description] = None
    due: Optional[IsoDateTime] = None

    def changes(self) -> dict[str, Any]:
        """Only the fields the client sent; an explicit null clears a field."""
        return self.model_dump(exclude_unset=True)


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
    return error["msg"].removeprefix("Value error, ")


def parse(schema: type[BaseModel], data: Any):
    """Validate `data` against `schema`, raising InvalidInput that names every offending field."""
    if not isinstance(data, dict):
        raise InvalidInput({"body": "must be a JSON object"})
    read_only = {k: v for k, v in READ_ONLY.items() if k in data}
    if read_only:
        raise InvalidInput(read_only)
    if "title" in data and data["title"] is None and "title" in schema.model_fields:
        raise InvalidInput({"title": "must not be null"})
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "body"
            errors.setdefault(field, _message(error))
        raise InvalidInput(errors) from None


class TicketOut(BaseModel):
    """A ticket as the API returns it."""

    ticket_id: int = Field(ge=1)
    title: str
    assignee: Optional[str]
    description: Optional[str]
    created: datetime = Field(description="when the ticket was created (ISO 8601, UTC)")
    updated: datetime = Field(description="when the ticket last changed (ISO 8601, UTC)")
    due: Optional[datetime] = Field(description="ISO 8601, UTC")
    due_raw: Optional[str] = Field(description="a tutorial-era due text that could not be read as a date")


class ErrorBody(BaseModel):
    """Every error: each offending field, parameter or topic with what is wrong."""

    errors: dict[str, str]


class HealthOut(BaseModel):
    status: str
    database: str


def ticket_json(ticket) -> dict[str, Any]:
    return {
        "ticket_id": ticket.ticket_id,
        "title": ticket.title,
        "assignee": ticket.assignee,
        "description": ticket.description,
        "created": iso_utc(ticket.created),
        "updated": iso_utc(ticket.updated),
        "due": iso_utc(ticket.due),
        "due_raw": ticket.due_raw,
    }
