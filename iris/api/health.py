import logging

import falcon

from iris.api.answers import SERVER_ERROR, BAD_REQUEST
from iris.api.middleware import db
from iris.api.routes import Answer, Route
from iris.migrate import UPGRADE_FIRST, current_revisions
from iris.schemas import ErrorBody, HealthOut

log = logging.getLogger("iris.api")


def health(request, response):
    try:
        current = current_revisions(db(request))
    except Exception as exc:
        log.warning("health: database unavailable: %s", exc.__class__.__name__)
        response.status = falcon.HTTP_503
        return {"errors": {"database": "unavailable"}}
    # A server outlives its checks at start-up: its database may be downgraded, or swapped for an older one, later.
    problem = request.context.state.revisions.lacking(current)
    if problem:
        log.error("health: %s", problem)
        response.status = falcon.HTTP_503
        return {"errors": {"database": f"{problem}: {UPGRADE_FIRST}"}}
    return {"status": "ok", "database": "ok"}


ROUTES = [
    Route(
        "GET", "/health", health, "Is the service up, and its database answering and migrated?", "service",
        {200: Answer("Up", HealthOut), 400: BAD_REQUEST, 500: SERVER_ERROR,
         503: Answer("The database does not answer, or lacks migrations that this iris needs", ErrorBody)},
    )
]
