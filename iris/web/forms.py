"""Reading a form's body (application/x-www-form-urlencoded): bounded, strict, each field once."""

import re
import secrets
from typing import Any, Callable, Optional
from urllib.parse import parse_qsl

import falcon

from iris.api.creates import fingerprint
from iris.api.error_handlers import ApiError
from iris.errors import InvalidInput
from iris.repositories.idempotency_keys import KeptAnswer
from iris.services.idempotency import KeyUse

_FORM_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_FIELDS = 40  # no iris form has more than a dozen
FORM = "application/x-www-form-urlencoded"


def read_form(request) -> dict[str, str]:
    """The body's fields (already bounded by IRIS_MAX_BODY_BYTES); a repeated or undecodable one is a 400."""
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    if content_type != FORM:
        raise ApiError(falcon.HTTP_415, {"content-type": f"send the form as {FORM}"})
    raw: bytes = getattr(request.context, "raw_body", b"")
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput({"form": f"must be UTF-8 text with at most {MAX_FIELDS} fields"}) from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise InvalidInput({name: "may be given only once"})
        fields[name] = value.replace("\r\n", "\n")  # browsers send a textarea's line breaks as CRLF
    return fields


def optional(fields: dict[str, str], name: str):
    """A field left empty means no value (null), as an empty input box does to a person."""
    value = fields.get(name)
    return None if value is None or not value.strip() else value


def end_of_day(due: str) -> str:
    """A day from the page's date picker means by the end of that day (UTC), not its first second, so a ticket
    due today is not overdue all day; a full date-time is left as it is (the API reads both)."""
    return f"{due}T23:59:59Z" if _DAY.fullmatch(due) else due


def given(fields: dict[str, str], *names: str) -> dict[str, object]:
    """The named fields that the form has, with empty ones as null."""
    return {name: optional(fields, name) for name in names if name in fields}


def once(request, keep: Callable[[Any], KeptAnswer]) -> Optional[KeyUse]:
    """The form's own Idempotency-Key: each rendering of a create or comment form carries a fresh random `key`, so
    a double click, a Reload that posts again or the script's retry makes the ticket or comment once (the API's
    Idempotency-Key, kept as long). A form without one (a hand-made client) is simply not deduplicated."""
    form = request.context.form
    key = form.pop("key", None)
    if key is None:
        return None
    if not _FORM_KEY.fullmatch(key):
        raise InvalidInput({"key": "must be the form's own key; reload the page"})
    body = dict(form)
    ttl_hours = request.context.state.settings.idempotency_ttl_hours
    return KeyUse(f"page:{key}", fingerprint("POST", request.path, body), ttl_hours, keep)


def form_key() -> str:
    return secrets.token_urlsafe(16)
