"""Request and response schemas (pydantic v2). Validation errors become `{"errors": {field: message}}`."""

from datetime import datetime
from typing import Annotated, Any, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from iris.errors import InvalidInput
from iris.timeparse import iso_utc, parse_iso8601

TITLE_MAX = 200
ASSIGNEE_MAX = 100
DESCRIPTION_MAX = 20_000


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it here rather than fail in the driver.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
Title = Annotated[str, Field(min_length=1, max_length=TITLE_MAX), AfterValidator(_no_nul), AfterValidator(_not_blank)]
Assignee = Annotated[Text, Field(max_length=ASSIGNEE_MAX)]
Description = Annotated[Text, Field(max_length=DESCRIPTION_MAX)]
IsoDateTime = Annotated[datetime, BeforeValidator(parse_iso8601)]

READ_ONLY = {"ticket_id": "is set by the server", "created": "is set by the server", "updated": "is set by the server"}


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class TicketCreate(_Input):
    title: Title
    assignee: Optional[Assignee] = None
    description: Optional[Description] = None
    due: Optional[IsoDateTime] = None


class TicketPatch(_Input):
    title: Optional[Title] = None
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
