"""Errors become JSON answers here: domain errors through `describe`, database trouble as 503 or 409, the rest
as a generic 500."""

import json
import logging
import traceback
from typing import Any, Optional

import falcon
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError, ProgrammingError

from iris.api.error_mapping import describe
from iris.db import driver_message
from iris.errors import IrisError

log = logging.getLogger("iris.api")

MAX_LOGGED = 8000  # characters of one error's traceback in the log
GENERIC_500 = {"errors": {"server": "internal error; the details are in the server log"}}


class ApiError(falcon.HTTPError):
    """An HTTP error whose body is `{"errors": errors}`."""

    def __init__(
        self, status: str, errors: dict[str, Any], headers: Optional[dict] = None, extra: Optional[dict] = None
    ):
        super().__init__(status, headers=headers)
        self.errors = errors
        self.extra = extra or {}  # more top-level keys beside "errors", e.g. the allowed moves


def http_status(code: int) -> str:
    """falcon's status line for a status code, e.g. 201 -> "201 Created"."""
    return getattr(falcon, f"HTTP_{code}")


def domain_error(req, resp, exc: IrisError, params) -> None:
    status, body = describe(exc)
    headers = {"ETag": body["etag"]} if "etag" in body else None
    if status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="iris"'}
    extra = {k: v for k, v in body.items() if k != "errors"}
    raise ApiError(http_status(status), body["errors"], headers=headers, extra=extra)


def database_unavailable(req, resp, exc: OperationalError, params) -> None:
    """A lost connection, a refused one or a statement timeout: the request may be retried."""
    log.warning("database unavailable on %s %s: %s", req.method, req.path, exc.orig.__class__.__name__)
    raise ApiError(falcon.HTTP_503, {"database": "unavailable or too slow; try again"}, headers={"Retry-After": "1"})


# undefined_table, undefined_column: what this iris's SQL meets in a database behind its migrations.
MISSING_SCHEMA = frozenset({"42P01", "42703"})


def schema_missing(req, resp, exc: ProgrammingError, params) -> None:
    """A table or column this iris needs is not there: the database was downgraded, or replaced, under a running
    server."""
    if getattr(exc.orig, "pgcode", None) not in MISSING_SCHEMA:
        return unexpected(req, resp, exc, params)  # a bug of ours: logged in full, a generic 500
    log.error("the database lacks a table or column on %s %s: %s", req.method, req.path, driver_message(exc))
    # Not fixed by retrying at once, as a lost connection may be: someone has to run the migrations.
    errors = {"database": "lacks a table or column that this iris needs; GET /health says why"}
    raise ApiError(falcon.HTTP_503, errors, headers={"Retry-After": "30"})


def data_refused(req, resp, exc: DataError, params) -> None:
    """A value PostgreSQL cannot take (out of range, unstorable): input that got past validation. A 400
    all the same, never a 500; logged, so the validation that missed it can be fixed."""
    log.warning("the database refused a value on %s %s: %s", req.method, req.path, exc.orig.__class__.__name__)
    raise ApiError(falcon.HTTP_400, {"request": "a value is out of the range the database can store or compare"})


def integrity_conflict(req, resp, exc: IntegrityError, params) -> None:
    """A constraint tripped by a concurrent change (e.g. a status removed while a ticket moved into it)."""
    log.info("integrity conflict on %s %s: %s", req.method, req.path, exc.orig.__class__.__name__)
    errors = {"conflict": "the change clashes with a concurrent one; read the resource again and retry"}
    raise ApiError(falcon.HTTP_409, errors)


def unexpected(req, resp, exc: Exception, params) -> None:
    """Anything not handled elsewhere: log it in full, answer a generic JSON 500 that reveals nothing."""
    if isinstance(exc, (falcon.HTTPError, falcon.HTTPStatus)):
        raise exc  # falcon renders these itself
    log.error("unhandled error on %s %s\n%s", req.method, req.path, bounded_traceback(exc))
    raise ApiError(falcon.HTTP_500, GENERIC_500["errors"])


def bounded_traceback(exc: BaseException) -> str:
    """Where it failed and what, without the values involved: a database error's first line only (the
    driver's message goes on to quote the statement with the user's text inlined), any other message
    cut short; the whole cut in the middle past MAX_LOGGED characters."""
    if isinstance(exc, DBAPIError):
        what = f"{type(exc).__name__} ({getattr(exc.orig, 'pgcode', None)}): {driver_message(exc)}"
    else:
        what = f"{type(exc).__name__}: {str(exc)[:500]}"
    text = "".join(traceback.format_tb(exc.__traceback__)) + what
    if len(text) <= MAX_LOGGED:
        return text
    half = MAX_LOGGED // 2
    return f"{text[:half]}\n... ({len(text) - MAX_LOGGED} characters cut) ...\n{text[-half:]}"


def serialize(req, resp, error: falcon.HTTPError) -> None:
    errors = getattr(error, "errors", None) or _default_errors(req, error)
    page = getattr(req.context, "error_page", None)
    if page is not None:
        # A web page's error (a 429, a 503, a 500) is a page for a person, with the same messages.
        resp.body = page(req, resp, errors)  # iris/web/binding.py
        return
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
    falcon_api.add_error_handler(DataError, data_refused)
    falcon_api.add_error_handler(IrisError, domain_error)
    falcon_api.set_error_serializer(serialize)
