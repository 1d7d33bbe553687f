"""Keyset paging shared by every list but GET /tickets: its parameters and its `Link: rel="next"`."""

from typing import Sequence
from urllib.parse import urlencode

from iris.api.routes import Header, IntParam

LIMIT = IntParam("limit", "page size", minimum=1, maximum=500, default=50)
AFTER = IntParam("after", "keyset cursor: only items with a larger id")
NEXT_LINK = Header('<...>; rel="next" while more remain')


def next_link(path: str, limit: int, after: object, filters: Sequence[tuple[str, str]] = ()) -> str:
    """The `Link` to the next page: the same filters, from after the last item of this one."""
    query = urlencode([*filters, ("limit", limit), ("after", after)])
    return f'<{path}?{query}>; rel="next"'
