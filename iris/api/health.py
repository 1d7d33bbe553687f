"""GET /health: the process answers, and its database answers and has this iris's migrations."""

import logging

import falcon

from iris.api.access import PUBLIC
from iris.api.answers import BAD_REQUEST, SERVER_ERROR
from iris.api.middleware import unit_of_work
from iris.api.routes import Answer, Route
from iris.migrate import UPGRADE_FIRST
from iris.schemas import ErrorBody, HealthOut
from iris.services.health import schema_problem

log = logging.getLogger("iris.api")


def health(request, response):
    try:
        problem = schema_problem(unit_of_work(request), request.context.state.revisions)
    except Exception as exc:
        log.warning("health: database unavailable: %s", exc.__class__.__name__)
        response.status = falcon.HTTP_503
        return {"errors": {"database": "unavailable"}}
    if problem:
        log.error("health: %s", problem)
        response.status = falcon.HTTP_503
        return {"errors": {"database": f"{problem}: {UPGRADE_FIRST}"}}
    return {"status": "ok", "database": "ok"}


UNHEALTHY = Answer("The database does not answer, or lacks migrations that this iris needs", ErrorBody)
ROUTES = [
    Route(
        "GET",
        "/health",
        health,
        "Is the service up, and its database answering and migrated?",
        "service",
        {200: Answer("Up", HealthOut), 400: BAD_REQUEST, 500: SERVER_ERROR, 503: UNHEALTHY},
        policy=PUBLIC,
    )
]
