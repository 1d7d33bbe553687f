"""Domain errors. They know nothing of HTTP; iris/api/errors.py maps them to status codes in one place."""

from typing import Optional


class IrisError(Exception):
    """Base of every error a use case raises on purpose."""


class NotFound(IrisError):
    def __init__(self, resource: str, key: object):
        super().__init__(f"{resource} {key} does not exist")
        self.resource = resource
        self.key = key


class InvalidInput(IrisError):
    """The request is malformed; `errors` maps each offending field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class RuleBroken(IrisError):
    """A well-formed request that a rule forbids (an illegal move, an invalid workflow definition).

    `details` carries extra keys for the answer, such as the moves that are allowed.
    """

    def __init__(self, errors: dict[str, str], **details):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.details = details


class Conflict(IrisError):
    """The request clashes with the current state (a status that tickets are still in)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class VersionMismatch(IrisError):
    """The client's version (If-Match or `version`) is not the current one: it would overwrite a change."""

    def __init__(self, resource: str, key: object, current: int):
        super().__init__(f"{resource} {key} has changed: its current version is {current}")
        self.resource, self.key, self.current = resource, key, current

    @classmethod
    def check(cls, resource: str, key: object, current: int, expected: Optional[int]) -> None:
        """Raise unless the client expects the current version (None: it accepts any)."""
        if expected is not None and expected != current:
            raise cls(resource, key, current)


class PreconditionRequired(IrisError):
    """A write without If-Match (or a `version`) while IRIS_REQUIRE_IF_MATCH is on."""

    def __init__(self, resource: str):
        super().__init__(f"send If-Match with the {resource}'s ETag, or its `version` in the body")
        self.resource = resource


class BulkItemFailed(IrisError):
    """One item of a bulk change failed, so none was applied."""

    def __init__(self, index: int, ticket_id: Optional[int], reason: str, status: int, message: str):
        super().__init__(f"item {index} (ticket {ticket_id}): {reason}: {message}")
        self.index, self.ticket_id, self.reason, self.status, self.message = index, ticket_id, reason, status, message
