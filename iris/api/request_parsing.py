"""Reading a request: its JSON body, and query parameters that are known and not repeated."""

import json
from typing import Any

import falcon

from iris.api.error_handlers import ApiError
from iris.errors import InvalidInput

# No iris body nests more than 4 deep (bulk items' changes); 32 leaves room, and keeps every later
# recursive walk (validation, fingerprints, logging) far from Python's recursion limit.
MAX_DEPTH = 32
_TOO_DEEP = object()


def json_body(request) -> Any:
    raw: bytes = getattr(request.context, "raw_body", b"")
    if not raw.strip():
        raise InvalidInput({"body": "a JSON body is required"})
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise ApiError(falcon.HTTP_415, {"content-type": "send the body as application/json"})
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput({"body": f"malformed JSON: {exc}"}) from None
    except RecursionError:
        body = _TOO_DEEP  # nested past Python's own limit: past ours too
    if body is _TOO_DEEP or _depth(body) > MAX_DEPTH:
        raise InvalidInput({"body": f"must not nest arrays and objects more than {MAX_DEPTH} deep"})
    return body


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest in `value`, without recursion (bounded by the body's size)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


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
