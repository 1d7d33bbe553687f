"""Request parsing helpers shared by the routes: JSON bodies, path ids and query parameters."""

import json
from typing import Any, Iterable, Optional

import falcon

from iris.errors import InvalidInput


class ApiError(falcon.HTTPError):
    """An HTTP error whose body is `{"errors": errors}`."""

    def __init__(self, status: str, errors: dict[str, Any], headers: Optional[dict] = None):
        super().__init__(status, headers=headers)
        self.errors = errors


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


def path_id(request, name: str) -> int:
    raw = request.context.path_params.get(name, "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or int(raw) > 2_147_483_647:
        raise InvalidInput({name: "must be a positive integer"})
    return int(raw)


def reject_unknown_query(request, allowed: Iterable[str]) -> None:
    unknown = sorted(set(request.params) - set(allowed))
    if unknown:
        raise InvalidInput({name: "unknown query parameter" for name in unknown})


def query_params(request) -> dict[str, str]:
    """The query string as single values; a repeated parameter is an error, never silently collapsed."""
    params = request.params
    repeated = sorted(name for name, value in params.items() if isinstance(value, list))
    if repeated:
        raise InvalidInput({name: "may be given only once" for name in repeated})
    return dict(params)


def int_param(params: dict[str, str], name: str, *, default: Optional[int], minimum: int, maximum: int) -> Optional[int]:
    raw = params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not minimum <= int(raw) <= maximum:
        raise InvalidInput({name: f"must be an integer from {minimum} to {maximum}"})
    return int(raw)
