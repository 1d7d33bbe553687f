"""The one place where errors become HTTP answers (the CLI reuses `describe` for the same bodies)."""

import json
import logging

import falcon
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from iris.api.http import ApiError
from iris.db import driver_message
from iris.errors import BulkItemFailed, Conflict, InvalidInput, IrisError, NotFound, PreconditionRequired, RuleBroken, VersionMismatch
from iris.api.preconditions import etag

log = logging.getLogger("iris.api")

GENERIC_500 = {"errors": {"server": "internal error; the details are in the server log"}}


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
    if isinstance(exc, BulkItemFailed):
        failed = {"index": exc.index, "ticket_id": exc.ticket_id, "reason": exc.reason}
        return exc.status, {"errors": {f"items[{exc.index}]": f"{exc.reason}: {exc.message}"}, "failed": failed}
    raise TypeError(f"no HTTP mapping for {type(exc).__name__}")  # a new domain error needs a line above


def domain_error(req, resp, exc: IrisError, params) -> None:
    status, body = describe(exc)
    headers = {"ETag": body["etag"]} if "etag" in body else None
    raise ApiError(getattr(falcon, f"HTTP_{status}"), body["errors"], headers=headers, extra={k: v for k, v in body.items() if k != "errors"})


def database_unavailable(req, resp, exc: OperationalError, params) -> None:
    """A lost connection, a refused one or a statement timeout: the request may be retried."""
    log.warning("database unavailable on %s %s: %s", req.method, req.path, exc.orig.__class__.__name__)
    raise ApiError(falcon.HTTP_503, {"database": "unavailable or too slow; try again"}, headers={"Retry-After": "1"})


# undefined_table, undefined_column: what this iris's SQL meets in a database behind its migrations.
MISSING_SCHEMA = frozenset({"42P01", "42703"})


def schema_missing(req, resp, exc: ProgrammingError, params) -> None:
    """A table or column this iris needs is not there: the database was downgraded, or replaced, under a running server."""
    if getattr(exc.orig, "pgcode", None) not in MISSING_SCHEMA:
        return unexpected(req, resp, exc, params)  # a bug of ours: logged in full, a generic 500
    log.error("the database lacks a table or column on %s %s: %s", req.method, req.path, driver_message(exc))
    # Not fixed by retrying at once, as a lost connection may be: someone has to run the migrations.
    raise ApiError(falcon.HTTP_503, {"database": "lacks a table or column that this iris needs; GET /health says why"}, headers={"Retry-After": "30"})


def integrity_conflict(req, resp, exc: IntegrityError, params) -> None:
    """A constraint tripped by a concurrent change (e.g. a status removed while a ticket moved into it)."""
    log.info("integrity conflict on %s %s: %s", req.method, req.path, exc.orig.__class__.__name__)
    raise ApiError(falcon.HTTP_409, {"conflict": "the change clashes with a concurrent one; read the resource again and retry"})


def unexpected(req, resp, exc: Exception, params) -> None:
    """Anything not handled elsewhere: log it in full, answer a generic JSON 500 that reveals nothing."""
    if isinstance(exc, (falcon.HTTPError, falcon.HTTPStatus)):
        raise exc  # falcon renders these itself
    log.exception("unhandled error on %s %s", req.method, req.path)
    raise ApiError(falcon.HTTP_500, GENERIC_500["errors"])


def serialize(req, resp, error: falcon.HTTPError) -> None:
    errors = getattr(error, "errors", None) or _default_errors(req, error)
    resp.content_type = falcon.MEDIA_JSON
    resp.body = json.dumps({"errors": errors, **getattr(error, "extra", {})})


def _default_errors(req, error: falcon.HTTPError) -> dict[str, str]:
    code = int(error.status[:3])
    if code == 404:
        return {"route": f"no route for {req.path}"}
    if code == 405:
        return {"method": f"{req.method} is not allowed on {req.path}"}
    return {"request": error.description or error.title}


def install(falcon_api) -> None:
    # falcon 2 tries handlers newest first, so the catch-all goes in before the specific ones.
    falcon_api.add_error_handler(Exception, unexpected)
    falcon_api.add_error_handler(OperationalError, database_unavailable)
    falcon_api.add_error_handler(ProgrammingError, schema_missing)
    falcon_api.add_error_handler(IntegrityError, integrity_conflict)
    falcon_api.add_error_handler(IrisError, domain_error)
    falcon_api.set_error_serializer(serialize)
