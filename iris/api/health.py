import logging

import falcon
from sqlalchemy import text

from iris.api.answers import SERVER_ERROR, BAD_REQUEST
from iris.api.middleware import db
from iris.api.routes import Answer, Route
from iris.schemas import ErrorBody, HealthOut

log = logging.getLogger("iris.api")


def health(request, response):
    try:
        db(request).execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("health: database unavailable: %s", exc.__class__.__name__)
        response.status = falcon.HTTP_503
        return {"errors": {"database": "unavailable"}}
    return {"status": "ok", "database": "ok"}


ROUTES = [
    Route(
        "GET", "/health", health, "Is the service up and its database answering?", "service",
        {200: Answer("Up", HealthOut), 400: BAD_REQUEST, 500: SERVER_ERROR, 503: Answer("The database does not answer", ErrorBody)},
    )
]
