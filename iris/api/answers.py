"""Responses that many routes share, described once."""

from iris.api.routes import Answer, Header
from iris.schemas import ErrorBody
from iris.schemas.common import StaleBody

BAD_REQUEST = Answer("Invalid input; `errors` names each offending field or parameter", ErrorBody)
NOT_FOUND = Answer("No such resource", ErrorBody)
TOO_LARGE = Answer("The body is larger than the limit (1 MiB by default)", ErrorBody)
UNSUPPORTED_MEDIA = Answer("The body is not application/json", ErrorBody)
CONFLICT = Answer("The change clashes with the current state, or with a concurrent change", ErrorBody)
RULE_BROKEN = Answer("Well-formed, but a rule forbids it; `errors` says which", ErrorBody)
STALE = Answer(
    "If-Match (or `version`) names none of the current version; the body and ETag header carry the current one",
    StaleBody,
    headers={"ETag": Header('the current version\'s ETag, e.g. `"4"`')},
)
PRECONDITION_REQUIRED = Answer(
    "A write needs If-Match (or `version` in the body) while IRIS_REQUIRE_IF_MATCH is on", ErrorBody
)
NOT_MODIFIED = Answer("If-None-Match names the current version: nothing to send")
SERVER_ERROR = Answer("Unexpected error; the details are in the server log, never in the answer", ErrorBody)
UNAVAILABLE = Answer(
    "The database is unavailable, too slow, or lacks migrations that this iris needs (`GET /health` says which); "
    "retry later",
    ErrorBody,
    headers={"Retry-After": Header("seconds to wait before retrying", {"type": "integer"})},
)


def files(content_types: dict[str, str]) -> dict[int, Answer]:
    """Answers of a route that serves one of a fixed set of files, each of its content type."""
    media = tuple(sorted({t.split(";")[0] for t in content_types.values()}))
    file = Answer("The file", {"type": "string", "format": "binary"}, media_types=media)
    return {200: file, 400: BAD_REQUEST, 404: NOT_FOUND, 500: SERVER_ERROR}


def reads(**answers: Answer) -> dict[int, Answer]:
    """Answers of a route without a body, plus those every route can give."""
    return {**{int(code[1:]): a for code, a in answers.items()}, 400: BAD_REQUEST, 500: SERVER_ERROR, 503: UNAVAILABLE}


def writes(**answers: Answer) -> dict[int, Answer]:
    """Answers of a route that takes a JSON body."""
    return {**reads(**answers), 413: TOO_LARGE, 415: UNSUPPORTED_MEDIA}


def guarded(**answers: Answer) -> dict[int, Answer]:
    """Answers of a write that takes If-Match."""
    return {**writes(**answers), 412: STALE, 428: PRECONDITION_REQUIRED}
