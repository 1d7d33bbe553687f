"""The route table entry shared by every route module (and, later, by the API description)."""

from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Callable
    query: frozenset[str] = field(default_factory=frozenset)  # anything else in the query string is a 400
