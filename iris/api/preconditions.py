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

# RFC 9110: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; a header is `*` or a comma-separated list of
# them. A bare number is taken too, as people type it into curl. Ours are strong: "<version>".
_ETAGC = r"[\x21\x23-\x7e\x80-\xff]"
_TAG = rf'(?:W/)?"{_ETAGC}*"|[0-9]{{1,10}}'
_LIST = rf"[ \t]*(?:{_TAG})(?:[ \t]*,[ \t]*(?:{_TAG}))*[ \t]*"
_EACH = re.compile(r'(W/)?"([^"]*)"|([0-9]{1,10})')
IF_MATCH_PATTERN = rf"^(\*|{_LIST})$"
IF_NONE_MATCH_PATTERN = IF_MATCH_PATTERN
_WELL_FORMED = re.compile(IF_MATCH_PATTERN)

IF_MATCH = Header(
    'the ETag you read (`"3"`), several (`"3", "4"`: any of them), or `*`; '
    "required for writes unless IRIS_REQUIRE_IF_MATCH=false or the body has `version`",
    {"type": "string", "pattern": IF_MATCH_PATTERN},
)
IF_NONE_MATCH = Header(
    "ETags you hold; a match answers 304 with no body", {"type": "string", "pattern": IF_NONE_MATCH_PATTERN}
)
ETAG = Header('the strong ETag of the resource\'s current version, e.g. `"3"`')
WRITE_HEADERS = (("If-Match", IF_MATCH),)


def if_match(request) -> Union[frozenset[int], str, None]:
    """If-Match as the versions its strong tags name (weak ones never match, RFC 9110's strong
    comparison), ANY for `*`, or None when absent; a malformed header is a 400."""
    tags = _tags(request, "If-Match")
    return tags if tags is None or tags == ANY else frozenset(v for v, weak in tags if not weak and v is not None)


def _tags(request, name: str):
    """The header's entity tags as (version or None, weak), ANY, or None when absent."""
    header = request.get_header(name)
    if header is None or header.strip() == "*":
        return None if header is None else ANY
    if not _WELL_FORMED.match(header):
        raise InvalidInput({name: 'must be * or entity tags as returned in ETag, e.g. "3" (a list may have several)'})
    return [
        (_version(quoted if quoted is not None else bare), bool(weak)) for weak, quoted, bare in _EACH.findall(header)
    ]


def _version(opaque: str):
    return int(opaque) if opaque.isascii() and opaque.isdigit() and len(opaque) <= 10 else None  # not "²"


def precondition(request, body_version: Optional[int]) -> Precondition:
    """What this write expects of the version it changes: If-Match, the body's `version`, IRIS_REQUIRE_IF_MATCH."""
    return expect(if_match(request), body_version, request.context.state.settings.require_if_match)


def not_modified(request, response, version: int) -> bool:
    """Set the ETag; True (and a 304) when the client's If-None-Match already names this version (the weak
    comparison: W/"3" matches "3")."""
    response.set_header("ETag", etag(version))
    tags = _tags(request, "If-None-Match")
    if tags is None:
        return False
    if tags == ANY or any(held == version for held, _ in tags):
        response.status = falcon.HTTP_304
        return True
    return False
