"""The app factory: `create_app(settings)` builds the engine and a hug API, and returns the WSGI app."""

import itertools
import logging
import secrets
from dataclasses import dataclass

import hug
from sqlalchemy.engine import Engine

import iris
from iris import migrate
from iris.api import (
    access,
    comments,
    docs,
    error_handlers,
    health,
    metrics,
    notifications,
    tickets,
    users,
    watchers,
    webhooks,
    workflows,
)
from iris.api.middleware import (
    AppState,
    NoBodyStatuses,
    OneAllowList,
    RequestBody,
    UnitOfWorkPerRequest,
    UnknownMethods,
)
from iris.api.openapi import build_document
from iris.api.password_attempts import PasswordAttempts
from iris.api.rate_limits import RateLimits
from iris.api.request_log import RequestLog
from iris.api.request_parsing import check_query
from iris.api.routes import Route
from iris.api.token_cache import TokenCache
from iris.config import Settings
from iris.db import make_engine, make_session_factory
from iris.sealing import Sealer
from iris.web import assets
from iris.web.binding import bind_page
from iris.web.routes import PAGES
from iris.web.state import web_state

ROUTES = (
    tickets.ROUTES
    + comments.ROUTES
    + workflows.ROUTES
    + users.ROUTES
    + watchers.ROUTES
    + notifications.ROUTES
    + webhooks.ROUTES
    + health.ROUTES
    + metrics.ROUTES
    + docs.ROUTES
    + assets.ROUTES
)

_app_numbers = itertools.count(1)


@dataclass
class App:
    """A WSGI app and the engine behind it (the tests inspect its pool; shutdown disposes it)."""

    wsgi: object
    engine: Engine
    settings: Settings
    hug_api: hug.API
    openapi: dict
    state: AppState  # what the routes share (tests reach the password attempts through it)

    def __call__(self, environ, start_response):
        return self.wsgi(environ, start_response)


def raw_output(data):
    return data if isinstance(data, bytes) else data.encode("utf-8")


raw_output.content_type = "application/octet-stream"


def _bind(route: Route, limits: RateLimits):
    # A fresh function per app: hug keeps interface state on the function object it decorates.
    def endpoint(request, response):
        request.context.route = route  # for the access line and the metrics' route label
        # 429 over the client's limit: by address before the token is read, by token once it is known
        limits.admit(request, response, route, _authorise)
        return route.handler(request, response)

    endpoint.__name__ = route.handler.__name__
    endpoint.__doc__ = route.handler.__doc__
    endpoint.route = route  # read back from hug's route table to describe the API
    return endpoint


def _authorise(request, route: Route) -> None:
    check_query(request, route.query_names, route.repeatable_query)
    # 401 or 403 before the handler reads anything
    request.context.uow = access.unit_of_work_for(request, route.policy)


def build_api(state: AppState, settings: Settings, engine: Engine) -> hug.API:
    # hug keys APIs by module name, so each app gets its own name and its own route table.
    api = hug.API(f"iris.api.app_{next(_app_numbers)}")
    api.future = True  # no comma-splitting of query values
    api.http.add_middleware(RequestLog(engine))
    api.http.add_middleware(RequestBody(settings.max_body_bytes, settings.client_timeout_s))
    api.http.add_middleware(UnitOfWorkPerRequest(state))
    api.http.add_middleware(NoBodyStatuses())
    api.http.add_middleware(OneAllowList())
    api.http.add_middleware(UnknownMethods())
    limits = RateLimits(settings)
    for route in (*ROUTES, *PAGES):
        if route.policy not in access.POLICIES:
            raise ValueError(f"{route.method} {route.path} declares no access policy (iris/api/access.py)")
        # HEAD is GET without the body (falcon drops it), as HTTP expects.
        methods = (route.method, "HEAD") if route.method == "GET" else (route.method,)
        extra = {"output": raw_output} if route.raw else {}
        endpoint = bind_page(route, limits, state.web) if route.page else _bind(route, limits)
        hug.http(route.path, accept=methods, api=api, parse_body=False, **extra)(endpoint)
    return api


def create_app(settings: Settings) -> App:
    if settings.database_url is None:
        raise ValueError("create_app needs a database URL; the CLI resolves the embedded one before calling it")
    logging.getLogger("iris").setLevel(settings.log_level)
    engine = make_engine(
        settings.database_url,
        connect_timeout_s=settings.connect_timeout_s,
        statement_timeout_ms=settings.statement_timeout_ms,
    )
    state = AppState(make_session_factory(engine), settings, migrate.revisions())
    state.token_cache = TokenCache(settings.auth_cache_seconds)
    state.web = web_state(settings)
    state.password_attempts = PasswordAttempts(settings)
    # Settings built by hand (tests) may have no key: a random one then serves this app alone.
    state.sealer = Sealer(settings.secret_key or secrets.token_urlsafe(32))
    api = build_api(state, settings, engine)
    state.openapi = build_document(api, title="iris", version=iris.__version__, auth_open=settings.auth_open)
    falcon_api = api.http.server(default_not_found=False)
    falcon_api.req_options.keep_blank_qs_values = True  # `?status=` is an error to report, not nothing
    # `/tickets/` would otherwise reach `/tickets/{ticket_id}` with an empty id, and `/tickets/1/` no route.
    falcon_api.req_options.strip_url_path_trailing_slash = True
    error_handlers.install(falcon_api)
    return App(falcon_api, engine, settings, api, state.openapi, state)
