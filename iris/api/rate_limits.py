"""Rate limits: per client and per class of request, counted by the `limits` library.

- **Client**: the token's id when the request presented a valid token, else the address it came from
  (REMOTE_ADDR; a proxy's X-Forwarded-For is not trusted).
- **Class**: `searches` (GET /tickets with `q`, and the board searched), `reads` (any other GET or HEAD),
  `writes` (POST, PUT, PATCH, DELETE); each has its own limit (IRIS_RATE_LIMIT_READS, ..._WRITES,
  ..._SEARCHES) and its own count, so writing never uses up reading.
- **Exempt**: the PUBLIC routes (probes, /docs, /openapi.json) and /metrics answer anyone, always, with no
  RateLimit-* headers.
- **Order**: a request without a token counts against its address. One with a token is refused at once if
  its address has used up its count of *failed* tokens, so a flood of bad tokens costs no token lookups
  (on /metrics too); once the token is known it counts against the token, and when it fails (401) against
  the address and its failed tokens. Tokenless requests never fill the failed-token count, so anonymous
  traffic from a shared address cannot lock out the people with tokens.
- **Window**: moving, not fixed: no more than N in any window, so there is no double burst at a window's
  edge, and Retry-After is exactly when the oldest counted request leaves the window.
- **Storage**: in-process (`memory://`, each worker counts alone) or Redis (`redis://...`, exact across
  workers and hosts). When the storage fails, requests pass unlimited (fail open) for PAUSE_S seconds,
  with a warning in the log, rather than failing with it.
"""

import logging
import math
import time
from typing import Callable, Optional

import falcon
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from iris.api.access import PUBLIC
from iris.api.error_handlers import ApiError
from iris.api.routes import Route
from iris.config import Settings
from iris.errors import Unauthenticated

log = logging.getLogger("iris.api")

CLASSES = ("reads", "writes", "searches")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
EXEMPT_PATHS = frozenset({"/metrics"})  # beside every PUBLIC route
SEARCHES = frozenset({"/tickets", "/"})  # the list and the web page's board, with `q`
PAUSE_S = 10  # after a storage failure, how long requests pass unlimited before the storage is tried again


def redis_options() -> dict:
    """A Redis that does not answer must not hold requests: a short wait, no retry (a Redis URL's own
    `?socket_timeout=` wins over these). Imported only when Redis is the storage: 4 MB a worker otherwise."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "retry": Retry(NoBackoff(), 0)}


def exempt(route: Route) -> bool:
    return route.policy == PUBLIC or route.path in EXEMPT_PATHS


def request_class(request, route: Route) -> str:
    if request.method in WRITES:
        return "writes"
    # The board's filter form sends an empty q when the search box is left empty: no search.
    if route.path in SEARCHES and request.get_param("q") not in (None, "" if route.page else None):
        return "searches"
    return "reads"


class RateLimits:
    """One app's limits; `admit` runs before every route's handler."""

    def __init__(self, settings: Settings):
        self.enabled = settings.rate_limits
        self.prefix = settings.rate_limit_prefix
        self.items: dict[str, RateLimitItem] = {k: parse(getattr(settings, f"rate_limit_{k}")) for k in CLASSES}
        self.limiter: Optional[MovingWindowRateLimiter] = None
        self.paused_until = 0.0
        if self.enabled:
            url = settings.rate_limit_storage
            options = redis_options() if url.startswith("redis") else {}
            # Nothing connects here: a Redis is first asked on the first request.
            self.limiter = MovingWindowRateLimiter(storage_from_string(url, wrap_exceptions=True, **options))

    def admit(self, request, response, route: Route, authorise: Callable) -> None:
        """Runs `authorise(request, route)` (query check, then 401/403, setting `request.context.uow`) between
        the address's check of failed sign-ins and the client's count; 429 when either is over its limit."""
        if not self.enabled or route.policy == PUBLIC:
            authorise(request, route)
            return
        kind, limited = request_class(request, route), not exempt(route)
        address = request.remote_addr or "unknown"
        failed = ("address with failed tokens", address)
        if request.get_header("Authorization") is not None:
            # Only failed authentications fill this count, so a flood of bad tokens is refused before any
            # lookup, and tokenless requests from a shared address (a NAT, a proxy) cannot lock out token holders.
            self._count(response, kind, failed, test_only=True, headers=limited)
        try:
            authorise(request, route)
        except Unauthenticated:
            self._count(response, kind, failed, headers=limited)  # /metrics too: exempt, but not from this
            raise
        finally:  # a 400, 401, 403 or 503 counts (and carries the headers) as well
            if limited:
                self._count(response, kind, self._client(request, ("address", address)))

    @staticmethod
    def _client(request, address: tuple[str, str]) -> tuple[str, str]:
        actor = getattr(getattr(request.context, "uow", None), "actor", None)
        token_id = getattr(actor, "token_id", None)
        return ("token", str(token_id)) if token_id is not None else address

    def _count(
        self, response, kind: str, client: tuple[str, str], test_only: bool = False, headers: bool = True
    ) -> None:
        if time.monotonic() < self.paused_until:
            return  # the storage failed a moment ago: fail open, and do not wait on it again yet
        item, key = self.items[kind], (self.prefix, kind, *client)
        try:
            allowed = self.limiter.test(item, *key) if test_only else self.limiter.hit(item, *key)
            reset, remaining = self.limiter.get_window_stats(item, *key)
        except StorageError as exc:
            self._pause(exc)
            return
        wait = max(0, math.ceil(reset - time.time()))
        if headers:
            response.set_header("RateLimit-Limit", str(item.amount))
            response.set_header("RateLimit-Remaining", str(max(0, remaining)))
            response.set_header("RateLimit-Reset", str(wait))
        if not allowed:
            message = f"this {client[0]} made more {kind} than its limit of {item}; retry in {max(1, wait)} s"
            raise ApiError(falcon.HTTP_429, {"rate_limit": message}, headers={"Retry-After": str(max(1, wait))})

    def _pause(self, exc: StorageError) -> None:
        log.warning(
            "rate limits: the storage failed (%s: %s); requests pass unlimited for %d s",
            type(exc.storage_error).__name__,
            str(exc.storage_error)[:200],
            PAUSE_S,
        )
        self.paused_until = time.monotonic() + PAUSE_S
