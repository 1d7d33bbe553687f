"""One access line per request, a request id on every line logged while serving it, and the request metrics.

`X-Request-ID` is taken from the client when it is a short token of safe characters (so a proxy's id
follows the request through), otherwise made here; either way it is echoed in the answer.
"""

import logging
import re
import time
import uuid

import structlog

from iris.api import metrics

log = logging.getLogger("iris.access")

MAX_REQUEST_ID = 128
_UNSAFE = re.compile(r"[^A-Za-z0-9._:/+=@-]")


def request_id(sent) -> str:
    """The client's id with anything but safe characters removed and cut to 128, or a new one."""
    kept = _UNSAFE.sub("", sent or "")[:MAX_REQUEST_ID] if sent and len(sent) <= 4 * MAX_REQUEST_ID else ""
    return kept or uuid.uuid4().hex


def route_label(req) -> str:
    """The route's template (`/tickets/{ticket_id}`), so metrics have one series per route, not per id."""
    route = getattr(req.context, "route", None)
    return route.path if route is not None else "unmatched"


class RequestLog:
    """First in, last out: it times everything the other middleware and the route do."""

    def __init__(self, engine):
        self.engine = engine

    def process_request(self, req, resp) -> None:
        req.context.started = time.perf_counter()
        req.context.request_id = request_id(req.get_header("X-Request-ID"))
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=req.context.request_id)

    def process_response(self, req, resp, resource, req_succeeded) -> None:
        seconds = time.perf_counter() - req.context.started
        resp.set_header("X-Request-ID", req.context.request_id)
        status = int(resp.status[:3])
        route = route_label(req)
        uow = getattr(req.context, "uow", None)
        log.info(
            "request",
            extra={
                "method": req.method,
                "path": req.path[:500],  # the path only: query strings can carry search text
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "user": uow.actor.username if uow is not None else None,
                "remote_addr": req.remote_addr,
            },
        )
        metrics.observe_request(route, req.method, status, seconds, self.engine.pool)
        structlog.contextvars.clear_contextvars()
