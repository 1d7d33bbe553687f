"""Who may call a route: each route declares a policy, and `unit_of_work_for` checks it before the handler runs.

    PUBLIC  no token needed, whatever IRIS_AUTH says (probes and the API description)
    USER    any active user: reporters and up; record-level rules (own comment, reported ticket,
            assignee) are the services' (iris/services/rights.py)
    AGENT   agents and admins
    ADMIN   admins only

With IRIS_AUTH=open, a request without a token acts as the built-in admin `anonymous`; a token
sent is checked all the same.
"""

from datetime import datetime, timezone
from typing import Optional

from iris.api.routes import Answer
from iris.errors import Unauthenticated
from iris.schemas import ErrorBody
from iris.services import identity
from iris.services.identity import ANONYMOUS, Actor
from iris.services.unit_of_work import SqlAlchemyUnitOfWork

PUBLIC, USER, AGENT, ADMIN = "public", "user", "agent", "admin"
POLICIES = (PUBLIC, USER, AGENT, ADMIN)
NOBODY = Actor("anonymous", "reporter")  # on a public route without a token: rights of the least

UNAUTHENTICATED = Answer(
    "No valid token: missing, malformed, unknown, expired or revoked, or its user is deactivated "
    "(it does not say which)",
    ErrorBody,
)
FORBIDDEN = Answer("The token's user lacks the right; `errors` says what is needed", ErrorBody)


def bearer(request) -> Optional[str]:
    """The secret of `Authorization: Bearer <secret>`; None without the header; Unauthenticated if malformed."""
    header = request.get_header("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated()
    return secret.strip()


def unit_of_work_for(request, policy: str) -> SqlAlchemyUnitOfWork:
    """The request's unit of work, acting for whoever the token names, once the route's policy allows it."""
    state = request.context.state
    secret = None if policy == PUBLIC else bearer(request)
    if secret is None:
        if policy == PUBLIC or state.settings.auth_open:
            return state.unit_of_work(NOBODY if policy == PUBLIC else ANONYMOUS)
        raise Unauthenticated()
    uow = request.context.uow = state.unit_of_work(ANONYMOUS)  # closed at the end whatever happens
    uow.actor = _actor(request, uow, secret)
    if policy in (AGENT, ADMIN):
        uow.actor.require(policy)
    return uow


def _actor(request, uow, secret: str) -> Actor:
    """Who the token stands for: from this worker's cache when it was checked a moment ago, else checked
    in the request's own unit of work (and then its last_used written, at most once a minute, once the
    request has given its connection back: never two at once)."""
    state, now = request.context.state, datetime.now(timezone.utc)
    digest = identity.secret_hash(secret)
    cached = state.token_cache.get(digest, now)
    if cached is not None:
        return cached
    checked = state.token_cache.now()
    found = identity.identify(uow, secret, now)
    if found.stale:
        request.context.afterwards.append(
            lambda: identity.note_use(state.unit_of_work(found.actor), found.actor.token_id, now)
        )
    state.token_cache.put(digest, found.actor, found.expires, checked)
    return found.actor
