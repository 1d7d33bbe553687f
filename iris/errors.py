"""Domain errors. They know nothing of HTTP; iris/api/error_mapping.py maps them to status codes in one place."""

from typing import Optional, TypeVar, Union

T = TypeVar("T")


class IrisError(Exception):
    """Base of every error a use case raises on purpose."""


class NotFound(IrisError):
    def __init__(self, resource: str, key: object):
        super().__init__(f"{resource} {key} does not exist")
        self.resource = resource
        self.key = key


def found(value: Optional[T], resource: str, key: object) -> T:
    """`value`, or NotFound when the lookup found nothing."""
    if value is None:
        raise NotFound(resource, key)
    return value


class FieldErrors(IrisError):
    """An error that names each offending field (or topic) with what is wrong with it.

    `details` carries extra keys for the answer, such as the moves that are allowed.
    """

    def __init__(self, errors: dict[str, str], **details):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.details = details


class InvalidInput(FieldErrors):
    """The request is malformed."""


class RuleBroken(FieldErrors):
    """A well-formed request that a rule forbids (an illegal move, an invalid workflow definition)."""


class Conflict(FieldErrors):
    """The request clashes with the current state (a status that tickets are still in)."""


class VersionMismatch(IrisError):
    """The client's version (If-Match or `version`) is not the current one: it would overwrite a change."""

    def __init__(self, resource: str, key: object, current: int):
        super().__init__(f"{resource} {key} has changed: its current version is {current}")
        self.resource, self.key, self.current = resource, key, current


class PreconditionRequired(IrisError):
    """A write without If-Match (or a `version`) while IRIS_REQUIRE_IF_MATCH is on."""

    def __init__(self, resource: str):
        super().__init__(f"send If-Match with the {resource}'s ETag, or its `version` in the body")
        self.resource = resource


class BulkItemFailed(IrisError):
    """One item of a bulk change failed, so none was applied; `cause` says why."""

    REASONS = {NotFound: "not found", VersionMismatch: "version mismatch"}

    def __init__(self, index: int, ticket_id: int, cause: Union[NotFound, VersionMismatch]):
        self.reason = self.REASONS[type(cause)]
        super().__init__(f"item {index} (ticket {ticket_id}): {self.reason}: {cause}")
        self.index, self.ticket_id, self.cause = index, ticket_id, cause


class Unauthenticated(IrisError):
    """No usable credentials: missing, malformed, unknown, expired or revoked, or a deactivated user.

    Deliberately one error for all of them: the answer must not tell a guesser which it was.
    """

    def __init__(self):
        super().__init__("send a valid API token: Authorization: Bearer <token>")


class Forbidden(IrisError):
    """A known user without the right; `needed` says what would allow it."""

    def __init__(self, needed: str):
        super().__init__(f"needs {needed}")
        self.needed = needed


class SignInFailed(Unauthenticated):
    """A sign-in with a wrong username or password, or for an account that cannot sign in: never says which."""

    def __init__(self):
        IrisError.__init__(self, "the username or password is wrong")
