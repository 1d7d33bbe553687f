"""Domain errors. They know nothing of HTTP; iris/api/errors.py maps them to status codes in one place."""


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
