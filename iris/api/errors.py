"""The one place where errors become HTTP answers."""

import json
import logging

import falcon
from sqlalchemy.exc import OperationalError

from iris.api.http import ApiError
from iris.errors import InvalidInput, IrisError, NotFound

log = logging.getLogger("iris.api")


def domain_error(req, resp, exc: IrisError, params) -> None:
    if isinstance(exc, InvalidInput):
        raise ApiError(falcon.HTTP_400, exc.errors)
    if isinstance(exc, NotFound):
        raise ApiError(falcon.HTTP_404, {exc.resource: str(exc)})
    unexpected(req, resp, exc, params)


def database_unavailable(req, resp, exc: OperationalError, params) -> None:
    """A lost connection, a refused one or a statement timeout: the request may be retried."""
    log.warning("database unavailable on %s %s: %s", req.method, req.path, exc.orig.__class__.__name__)
    raise ApiError(falcon.HTTP_503, {"database": "unavailable or too slow; try again"}, headers={"Retry-After": "1"})


def unexpected(req, resp, exc: Exception, params) -> None:
    """Anything not handled elsewhere: log it in full, answer a generic JSON 500 that reveals nothing."""
    if isinstance(exc, (falcon.HTTPError, falcon.HTTPStatus)):
        raise exc  # falcon renders these itself
    log.exception("unhandled error on %s %s", req.method, req.path)
    raise ApiError(falcon.HTTP_500, {"server": "internal error; the details are in the server log"})


def serialize(req, resp, error: falcon.HTTPError) -> None:
    errors = getattr(error, "errors", None) or _default_errors(req, error)
    resp.content_type = falcon.MEDIA_JSON
    resp.body = json.dumps({"errors": errors})


def _default_errors(req, error: falcon.HTTPError) -> dict[str, str]:
    code = int(error.status[:3])
    if code == 404:
        return {"route": f"no route for {req.path}"}
    if code == 405:
        return {"method": f"{req.method} is not allowed on {req.path}"}
    return {"request": error.description or error.title}


def install(falcon_api) -> None:
    # falcon 2 tries handlers newest first, so the catch-all goes in before the domain handler.
    falcon_api.add_error_handler(Exception, unexpected)
    falcon_api.add_error_handler(OperationalError, database_unavailable)
    falcon_api.add_error_handler(IrisError, domain_error)
    falcon_api.set_error_serializer(serialize)
