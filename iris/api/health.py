"""Probes: /live (the process answers; no database), /ready and /health (the database answers and has
this iris's migrations). Public, whatever IRIS_AUTH says, so load balancers and orchestrators can ask."""

import logging

import falcon

from iris.api.access import PUBLIC
from iris.api.answers import BAD_REQUEST, SERVER_ERROR
from iris.api.middleware import unit_of_work
from iris.api.routes import Answer, Route
from iris.migrate import UPGRADE_FIRST
from iris.schemas import ErrorBody, HealthOut
from iris.schemas.common import LiveOut
from iris.services.health import schema_problem

log = logging.getLogger("iris.api")


def live(request, response):
    return {"status": "ok"}


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


def ready(request, response):
    return health(request, response)


UNHEALTHY = Answer("The database does not answer, or lacks migrations that this iris needs", ErrorBody)
PROBE_ANSWERS = {400: BAD_REQUEST, 500: SERVER_ERROR, 503: UNHEALTHY}
ROUTES = [
    Route(
        "GET", "/health", health, "Is the service up, and its database answering and migrated?", "service",
        {200: Answer("Up", HealthOut), **PROBE_ANSWERS}, policy=PUBLIC,
    ),
    Route(
        "GET", "/ready", ready, "Readiness: may this process take requests? (its database answers, and is migrated)",
        "service", {200: Answer("Ready", HealthOut), **PROBE_ANSWERS}, policy=PUBLIC,
    ),
    Route(
        "GET", "/live", live, "Liveness: does the process answer? (touches no database)", "service",
        {200: Answer("Alive", LiveOut), 400: BAD_REQUEST, 500: SERVER_ERROR}, policy=PUBLIC,
    ),
]  # fmt: skip
