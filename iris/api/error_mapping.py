"""The one place where domain errors become an HTTP status and body.

Pure (no falcon): the error handlers answer with it, and `iris tickets`, which prints what HTTP
would answer, prints it too.
"""

from iris.errors import (
    BulkItemFailed,
    Conflict,
    Forbidden,
    InvalidInput,
    IrisError,
    NotFound,
    PreconditionRequired,
    RuleBroken,
    Unauthenticated,
    VersionMismatch,
)


def etag(version: int) -> str:
    return f'"{version}"'


def describe(exc: IrisError) -> tuple[int, dict]:
    """The status code and body that a domain error answers with."""
    if isinstance(exc, InvalidInput):
        return 400, {"errors": exc.errors}
    if isinstance(exc, NotFound):
        return 404, {"errors": {exc.resource: str(exc)}}
    if isinstance(exc, Conflict):
        return 409, {"errors": exc.errors}
    if isinstance(exc, RuleBroken):
        return 422, {"errors": exc.errors, **exc.details}
    if isinstance(exc, VersionMismatch):
        return 412, {"errors": {"If-Match": str(exc)}, "etag": etag(exc.current), "version": exc.current}
    if isinstance(exc, PreconditionRequired):
        return 428, {"errors": {"If-Match": str(exc)}}
    if isinstance(exc, Unauthenticated):
        return 401, {"errors": {"authorization": str(exc)}}
    if isinstance(exc, Forbidden):
        return 403, {"errors": {"authorization": str(exc)}}
    if isinstance(exc, BulkItemFailed):
        failed = {"index": exc.index, "ticket_id": exc.ticket_id, "reason": exc.reason}
        status = describe(exc.cause)[0]
        return status, {"errors": {f"items[{exc.index}]": f"{exc.reason}: {exc.cause}"}, "failed": failed}
    raise TypeError(f"no HTTP mapping for {type(exc).__name__}")  # a new domain error needs a line above
