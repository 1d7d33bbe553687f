"""The one precondition rule: what a write expects of the version it changes.

A client states the versions it would write over in If-Match (already parsed by the caller: the
versions its strong entity tags name, `*`, or nothing) or the one it read in the body's `version`;
IRIS_REQUIRE_IF_MATCH decides whether stating nothing is allowed. Tickets, comments, workflows,
bulk edits and the CLI all go through `expect`.
"""

from dataclasses import dataclass
from typing import Callable, Optional, TypeVar, Union

from iris.errors import PreconditionRequired, VersionMismatch, found

T = TypeVar("T")

ANY = "*"  # If-Match: * (any current version will do)
NEVER: frozenset[int] = frozenset()  # no version matches: If-Match named none of ours, or two disagree


@dataclass(frozen=True)
class Precondition:
    versions: Optional[frozenset[int]] = None  # the versions the client would write over; None: any
    missing: bool = False  # the client stated nothing although it must

    @classmethod
    def at(cls, version: int) -> "Precondition":
        return cls(frozenset({version}))

    def require(self, resource: str) -> None:
        """Refuse a write that states no version when one is required (before looking anything up)."""
        if self.missing:
            raise PreconditionRequired(resource)

    def check(self, resource: str, key: object, current: int) -> None:
        """Refuse the write unless the client expects the `current` version."""
        self.require(resource)
        if self.versions is not None and current not in self.versions:
            raise VersionMismatch(resource, key, current)

    def locked(self, resource: str, key: object, get_for_update: Callable[[object], Optional[T]]) -> T:
        """The resource, row-locked for this transaction, at the version the client expects."""
        self.require(resource)
        locked = found(get_for_update(key), resource, key)
        self.check(resource, key, locked.version)
        return locked


def expect(if_match: Union[frozenset[int], str, None], body_version: Optional[int], required: bool) -> Precondition:
    """The precondition of a write from If-Match (the versions it names, ANY, or None when absent) and
    the body's `version`."""
    if isinstance(if_match, frozenset):
        if body_version is None:
            return Precondition(if_match)
        # The body's version must be one If-Match names too: two different ones cannot both be current.
        return Precondition(if_match & {body_version})
    if body_version is not None:
        return Precondition.at(body_version)
    return Precondition(missing=if_match is None and required)
