"""Conditional requests: strong ETags from versions, If-Match for writes, If-None-Match for reads."""

import re
from typing import Optional

import falcon

from iris.api.routes import Header
from iris.errors import InvalidInput, PreconditionRequired

_STRONG = re.compile(r'^"(\d{1,10})"$')

IF_MATCH = Header('the ETag you read (`"3"`), or `*`; required for writes unless IRIS_REQUIRE_IF_MATCH=false or the body has `version`')
IF_NONE_MATCH = Header("an ETag you hold; a match answers 304 with no body")
ETAG = Header('the strong ETag of the resource\'s current version, e.g. `"3"`')


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(request, body_version: Optional[int], resource: str) -> Optional[int]:
    """The version the client expects to change, from If-Match or the body; None means "any" (`*` or relaxed)."""
    header = request.get_header("If-Match")
    if header is not None and header.strip() != "*":
        match = _STRONG.match(header.strip())
        if not match:
            raise InvalidInput({"If-Match": 'must be one strong ETag as returned in ETag, e.g. "3", or *'})
        header_version = int(match.group(1))
        if body_version is not None and body_version != header_version:
            raise InvalidInput({"version": "differs from If-Match; send one of them"})
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
    if held is not None and (held.strip() == "*" or current in [tag.strip() for tag in held.split(",")]):
        response.status = falcon.HTTP_304
        return True
    return False
