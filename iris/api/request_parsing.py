"""Reading a request: its JSON body, and query parameters that are known and not repeated."""

import json
from typing import Any

import falcon

from iris.api.error_handlers import ApiError
from iris.errors import InvalidInput


def json_body(request) -> Any:
    raw: bytes = getattr(request.context, "raw_body", b"")
    if not raw.strip():
        raise InvalidInput({"body": "a JSON body is required"})
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise ApiError(falcon.HTTP_415, {"content-type": "send the body as application/json"})
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput({"body": f"malformed JSON: {exc}"}) from None


def check_query(request, allowed: frozenset[str], repeatable: frozenset[str] = frozenset()) -> None:
    """Unknown parameters, and repeats of single-valued ones, are errors: never ignored or collapsed."""
    unknown = sorted(set(request.params) - allowed)
    if unknown:
        raise InvalidInput(dict.fromkeys(unknown, "unknown query parameter"))
    repeated = sorted(
        name for name, value in request.params.items() if isinstance(value, list) and name not in repeatable
    )
    if repeated:
        raise InvalidInput(dict.fromkeys(repeated, "may be given only once"))
