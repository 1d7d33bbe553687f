"""The app factory: `create_app(settings)` builds the engine and a hug API, and returns the WSGI app."""

import itertools
import logging
from dataclasses import dataclass

import hug
from sqlalchemy.engine import Engine

from iris.api import errors, health, tickets
from iris.api.http import reject_unknown_query
from iris.api.middleware import NoBodyStatuses, RequestBody, SessionPerRequest
from iris.api.routes import Route
from iris.config import Settings
from iris.db import make_engine, make_session_factory

ROUTES = tickets.ROUTES + health.ROUTES

_app_numbers = itertools.count(1)


@dataclass
class App:
    """A WSGI app and the engine behind it (the tests inspect its pool; shutdown disposes it)."""

    wsgi: object
    engine: Engine
    settings: Settings

    def __call__(self, environ, start_response):
        return self.wsgi(environ, start_response)


def _bind(route: Route):
    # A fresh function per app: hug keeps interface state on the function object it decorates.
    def endpoint(request, response):
        reject_unknown_query(request, route.query)
        return route.handler(request, response)

    endpoint.__name__ = route.handler.__name__
    endpoint.__doc__ = route.handler.__doc__
    return endpoint


def build_wsgi(session_factory, settings: Settings):
    # hug keys APIs by module name, so each app gets its own name and its own route table.
    api = hug.API(f"iris.api.app_{next(_app_numbers)}")
    api.future = True  # no comma-splitting of query values
    api.http.add_middleware(RequestBody(settings.max_body_bytes))
    api.http.add_middleware(SessionPerRequest(session_factory))
    api.http.add_middleware(NoBodyStatuses())
    for route in ROUTES:
        # HEAD is GET without the body (falcon drops it), as HTTP expects.
        methods = (route.method, "HEAD") if route.method == "GET" else (route.method,)
        hug.http(route.path, accept=methods, api=api, parse_body=False)(_bind(route))
    falcon_api = api.http.server(default_not_found=False)
    errors.install(falcon_api)
    return falcon_api


def create_app(settings: Settings) -> App:
    if settings.database_url is None:
        raise ValueError("create_app needs a database URL; the CLI resolves the embedded one before calling it")
    logging.getLogger("iris").setLevel(settings.log_level)
    engine = make_engine(
        settings.database_url,
        connect_timeout_s=settings.connect_timeout_s,
        statement_timeout_ms=settings.statement_timeout_ms,
    )
    return App(build_wsgi(make_session_factory(engine), settings), engine, settings)
