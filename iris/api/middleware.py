"""Per-request plumbing: bounded bodies, path parameters, and one unit of work per request."""

import logging
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

import falcon
from sqlalchemy.orm import Session

from iris.api.error_handlers import ApiError
from iris.api.token_cache import TokenCache
from iris.config import Settings
from iris.migrate import Revisions
from iris.services.identity import Actor
from iris.services.unit_of_work import SqlAlchemyUnitOfWork

log = logging.getLogger("iris.api")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class TooSlow(Exception):
    """The client did not send its body in time."""


@contextmanager
def at_most(seconds: int):
    """Bounds the whole body read. Under gevent (iris's worker class) the read is interrupted wherever it
    waits; under gunicorn's sync worker, gunicorn's own worker timeout bounds it instead."""
    gevent = sys.modules.get("gevent")
    if gevent is None or not gevent.monkey.is_module_patched("socket"):
        yield
        return
    with gevent.Timeout(seconds, TooSlow):
        yield


class RequestBody:
    """Reads the body once, refusing more than `max_bytes`, chunked or not, and keeps it on the request.

    A body that has not arrived after `timeout_s` is a 408, and every later read or write on the
    connection waits at most that long (a client that stops reading its answer lets go of it too)."""

    def __init__(self, max_bytes: int, timeout_s: int):
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    def process_request(self, req, resp) -> None:
        req.context.raw_body = b""
        req.context.path_params = {}
        client = req.env.get("gunicorn.socket")
        if client is not None:
            client.settimeout(self.timeout_s)
        if req.method not in BODY_METHODS:
            return
        try:
            with at_most(self.timeout_s):
                self._read(req)
        except (TooSlow, TimeoutError):
            # gunicorn discards the rest of the body (if it ever comes) before reading a next request, and
            # drops the connection when that takes longer than its keepalive.
            raise ApiError(falcon.HTTP_408, {"body": f"did not arrive within {self.timeout_s} seconds"}) from None

    def _read(self, req) -> None:
        too_large = ApiError(falcon.HTTP_413, {"body": f"must not exceed {self.max_bytes} bytes"})
        length = req.content_length
        if length is not None:
            if length > self.max_bytes:
                raise too_large
            req.context.raw_body = req.bounded_stream.read(length)
        elif "chunked" in (req.get_header("Transfer-Encoding") or "").lower():
            data = req.stream.read(self.max_bytes + 1)
            if len(data) > self.max_bytes:
                raise too_large
            req.context.raw_body = data

    def process_resource(self, req, resp, resource, params) -> None:
        if "" in params.values():
            raise falcon.HTTPNotFound()  # `/tickets//`: falcon's router lets a field match an empty segment
        # hug merges query and body keys over path parameters; routes read path values from here only.
        req.context.path_params = dict(params)


class UnknownMethods:
    """A method falcon does not know (QUERY, FOO) on an existing route is 405 with Allow, like any other."""

    def process_resource(self, req, resp, resource, params) -> None:
        if req.method in falcon.COMBINED_METHODS:
            return
        # hug's resource is a namedtuple of on_<method> responders, one per method the route serves.
        raise falcon.HTTPMethodNotAllowed(sorted(name[3:].upper() for name in getattr(resource, "_fields", ())))


class OneAllowList:
    """Every Allow header names the same methods in the same order, OPTIONS included.

    falcon's 405 appends OPTIONS while its OPTIONS answer leaves it out, so the same route gave two lists.
    """

    def process_response(self, req, resp, resource, req_succeeded) -> None:
        allow = resp.get_header("Allow")
        if allow:
            resp.set_header(
                "Allow", ", ".join(sorted({m.strip() for m in allow.split(",") if m.strip()} | {"OPTIONS"}))
            )


class NoBodyStatuses:
    """204 and 304 carry no body, so they carry no Content-Type either."""

    def process_response(self, req, resp, resource, req_succeeded) -> None:
        if resp.status[:3] in ("204", "304"):
            resp.delete_header("Content-Type")


@dataclass
class AppState:
    """What routes may reach besides the request: units of work, the settings and the API description."""

    session_factory: Callable[[], Session]
    settings: Settings
    revisions: Revisions
    openapi: dict = field(default_factory=dict)
    token_cache: TokenCache = field(default_factory=lambda: TokenCache(0))
    web: Any = None  # the web page's shared state (iris/web/state.py)
    password_attempts: Any = None  # iris/api/password_attempts.py
    sealer: Any = None  # seals webhook secrets (iris/sealing.py), made from the settings' secret key

    def unit_of_work(self, actor: Actor) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.session_factory, actor, placeholders=self.settings.auth_open)


class UnitOfWorkPerRequest:
    """Closes each request's unit of work (its session opens when first used) at the end, whatever
    happened, so no connection outlives its request. Then runs what the request left for afterwards
    (`req.context.afterwards`), such as noting when a session was last used: after the close, so a
    request never holds two connections at once."""

    def __init__(self, state: AppState):
        self.state = state

    def process_request(self, req, resp) -> None:
        req.context.state = self.state
        req.context.uow = None  # made once the route's policy has said who acts (iris/api/app.py)
        req.context.afterwards = []

    def process_response(self, req, resp, resource, req_succeeded) -> None:
        uow = getattr(req.context, "uow", None)
        if uow is not None:
            uow.close()
        for task in getattr(req.context, "afterwards", ()):
            try:
                task()
            except Exception as exc:  # bookkeeping: the answer is already made, and must not turn into a 500
                log.warning("after %s %s: %s: %s", req.method, req.path, type(exc).__name__, str(exc)[:200])
        req.context.afterwards = []


def unit_of_work(req) -> SqlAlchemyUnitOfWork:
    return req.context.uow
