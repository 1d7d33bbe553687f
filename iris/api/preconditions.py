"""Conditional requests: strong ETags from versions, If-Match for writes, If-None-Match for reads."""

import re
from typing import Optional

import falcon

from iris.api.routes import Header
from iris.errors import InvalidInput, PreconditionRequired

# An entity-tag is quoted ("3"); the bare number is taken too, as people type it into curl.
_TAG = r'("[0-9]{1,10}"|[0-9]{1,10})'
_STRONG = re.compile(r'^"?(\d{1,10})"?$')
IF_MATCH_PATTERN = rf"^(\*|{_TAG})$"
IF_NONE_MATCH_PATTERN = rf"^(\*|(W/)?{_TAG}( *, *(W/)?{_TAG})*)$"

NEVER = 0  # a version no resource has (they start at 1)

IF_MATCH = Header(
    'the ETag you read (`"3"`), or `*`; required for writes unless IRIS_REQUIRE_IF_MATCH=false or the body has `version`',
    {"type": "string", "pattern": IF_MATCH_PATTERN},
)
IF_NONE_MATCH = Header("ETags you hold; a match answers 304 with no body", {"type": "string", "pattern": IF_NONE_MATCH_PATTERN})
ETAG = Header('the strong ETag of the resource\'s current version, e.g. `"3"`')


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(request, body_version: Optional[int], resource: str) -> Optional[int]:
    """The version the client expects to change, from If-Match or the body; None means "any" (`*` or relaxed)."""
    header = request.get_header("If-Match")
    if header is not None and header != "*":
        match = _STRONG.match(header)
        if not match or not re.match(IF_MATCH_PATTERN, header):
            raise InvalidInput({"If-Match": 'must be one strong ETag as returned in ETag, e.g. "3", or *'})
        header_version = int(match.group(1))
        if body_version is not None and body_version != header_version:
            return NEVER  # two different versions cannot both be the current one: the write answers 412
        return header_version
    if body_version is not None:
        return body_version
    if header is None and request.context.state.settings.require_if_match:
        raise PreconditionRequired(resource)
    return None


def not_modified(request, response, version: int) -> bool:
    """Set the ETag; True (and a 304) when the client's If-None-Match already names this version."""
    current = etag(version)
    response.set_header("ETag", current)
    held = request.get_header("If-None-Match")
    if held is None:
        return False
    if not re.match(IF_NONE_MATCH_PATTERN, held):
        raise InvalidInput({"If-None-Match": 'must be * or ETags as returned in ETag, e.g. "3"'})
    # If-None-Match compares weakly: W/"3" matches "3".
    held_versions = [tag.strip().removeprefix("W/").strip('"') for tag in held.split(",")]
    if held == "*" or str(version) in held_versions:
        response.status = falcon.HTTP_304
        return True
    return False
