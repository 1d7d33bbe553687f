"""The one precondition rule: what a write expects of the version it changes.

A client states the version it read in If-Match (already parsed by the caller: an int, `*`, or
nothing) or in the body's `version`; IRIS_REQUIRE_IF_MATCH decides whether stating nothing is
allowed. Tickets, comments, workflows, bulk edits and the CLI all go through `expect`.
"""

from dataclasses import dataclass
from typing import Callable, Optional, TypeVar, Union

from iris.errors import NotFound, PreconditionRequired, VersionMismatch

T = TypeVar("T")

ANY = "*"  # If-Match: * (any current version will do)
NEVER = 0  # a version no resource has (they start at 1)


@dataclass(frozen=True)
class Precondition:
    version: Optional[int] = None  # the version the client read; None: any
    missing: bool = False  # the client stated nothing although it must

    def require(self, resource: str) -> None:
        """Refuse a write that states no version when one is required (before looking anything up)."""
        if self.missing:
            raise PreconditionRequired(resource)

    def check(self, resource: str, key: object, current: int) -> None:
        """Refuse the write unless the client expects the `current` version."""
        self.require(resource)
        if self.version is not None and self.version != current:
            raise VersionMismatch(resource, key, current)

    def locked(self, resource: str, key: object, get_for_update: Callable[[object], Optional[T]]) -> T:
        """The resource, row-locked for this transaction, at the version the client expects."""
        self.require(resource)
        found = get_for_update(key)
        if found is None:
            raise NotFound(resource, key)
        self.check(resource, key, found.version)
        return found


def expect(if_match: Union[int, str, None], body_version: Optional[int], required: bool) -> Precondition:
    """The precondition of a write from If-Match (int, ANY or None when absent) and the body's `version`."""
    if isinstance(if_match, int):
        # Two different versions cannot both be the current one: the write fails its check.
        return Precondition(if_match if body_version in (None, if_match) else NEVER)
    if body_version is not None:
        return Precondition(body_version)
    return Precondition(missing=if_match is None and required)
