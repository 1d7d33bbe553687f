"""Conditional requests over HTTP: strong ETags from versions, If-Match for writes, If-None-Match for reads.

The rule that decides what a write expects is `iris.services.preconditions.expect`; this module only
reads the headers.
"""

import re
from typing import Optional, Union

import falcon

from iris.api.error_mapping import etag
from iris.api.routes import Header
from iris.errors import InvalidInput
from iris.services.preconditions import ANY, Precondition, expect

# An entity-tag is quoted ("3"); the bare number is taken too, as people type it into curl.
_TAG = r'("[0-9]{1,10}"|[0-9]{1,10})'
_STRONG = re.compile(r'^"?(\d{1,10})"?$')
IF_MATCH_PATTERN = rf"^(\*|{_TAG})$"
IF_NONE_MATCH_PATTERN = rf"^(\*|(W/)?{_TAG}( *, *(W/)?{_TAG})*)$"

IF_MATCH = Header(
    'the ETag you read (`"3"`), or `*`; '
    "required for writes unless IRIS_REQUIRE_IF_MATCH=false or the body has `version`",
    {"type": "string", "pattern": IF_MATCH_PATTERN},
)
IF_NONE_MATCH = Header(
    "ETags you hold; a match answers 304 with no body", {"type": "string", "pattern": IF_NONE_MATCH_PATTERN}
)
ETAG = Header('the strong ETag of the resource\'s current version, e.g. `"3"`')
WRITE_HEADERS = (("If-Match", IF_MATCH),)


def if_match(request) -> Union[int, str, None]:
    """If-Match as a version, ANY for `*`, or None when absent."""
    header = request.get_header("If-Match")
    if header is None or header == "*":
        return None if header is None else ANY
    match = _STRONG.match(header)
    if not match or not re.match(IF_MATCH_PATTERN, header):
        raise InvalidInput({"If-Match": 'must be one strong ETag as returned in ETag, e.g. "3", or *'})
    return int(match.group(1))


def precondition(request, body_version: Optional[int]) -> Precondition:
    """What this write expects of the version it changes: If-Match, the body's `version`, IRIS_REQUIRE_IF_MATCH."""
    return expect(if_match(request), body_version, request.context.state.settings.require_if_match)


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
