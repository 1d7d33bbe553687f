"""Request parsing helpers shared by the routes: JSON bodies, path ids and query parameters."""

import json
from urllib.parse import urlencode
from typing import Any, Optional, Sequence

import falcon

from iris.errors import InvalidInput


class ApiError(falcon.HTTPError):
    """An HTTP error whose body is `{"errors": errors}`."""

    def __init__(self, status: str, errors: dict[str, Any], headers: Optional[dict] = None, extra: Optional[dict] = None):
        super().__init__(status, headers=headers)
        self.errors = errors
        self.extra = extra or {}  # more top-level keys beside "errors", e.g. the allowed moves


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
        raise InvalidInput({name: "unknown query parameter" for name in unknown})
    repeated = sorted(name for name, value in request.params.items() if isinstance(value, list) and name not in repeatable)
    if repeated:
        raise InvalidInput({name: "may be given only once" for name in repeated})


def next_link(path: str, limit: int, after: int, filters: Sequence[tuple[str, str]] = ()) -> str:
    """The `Link` to the next page: the same filters, from after the last item of this one."""
    query = urlencode([*filters, ("limit", limit), ("after", after)])
    return f'<{path}?{query}>; rel="next"'
