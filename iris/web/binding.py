"""How a page is served: who may see it (the session's user, or in open mode the local admin), CSRF on every
POST, and domain errors shown as pages. Routes stay thin: parse, one service call, render."""

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional
from urllib.parse import quote

import falcon

from iris.api.access import ADMIN, AGENT, NOBODY, PUBLIC
from iris.api.error_mapping import describe
from iris.api.request_parsing import check_query
from iris.api.routes import Route
from iris.errors import IrisError
from iris.services import web_sessions
from iris.services.identity import ANONYMOUS, Actor
from iris.web.forms import read_form
from iris.web.render import is_fragment_request
from iris.web.security import BROWSER, PAGE_HEADERS, SESSION, new_browser_id, refuse_cross_site

SIGN_OUT = "/sign-out"


@dataclass(frozen=True)
class PageContext:
    """What every template knows of the request: who is acting, how they signed in, the form token."""

    actor: Actor
    signed_in: bool
    auth_open: bool
    csrf: str
    path: str
    unread: Optional[int] = None  # signed in: unread notifications, up to UNREAD_COUNTED (read with the session)


def bind_page(route: Route, limits, web):
    # A fresh function per app: hug keeps interface state on the function object it decorates.
    def endpoint(request, response):
        request.context.route = route
        request.context.error_page = lambda req, resp, errors: web.pages.render(
            req, resp, "error.html", status=None, errors=errors
        )
        try:
            limits.admit(request, response, route, lambda req, r: authorise_page(req, response, r, web))
            return route.handler(request, response)
        except IrisError as exc:  # a refusal (CSRF, a right), or what the handler does not show beside a form
            return error_page(request, response, web, exc)

    endpoint.__name__ = route.handler.__name__
    endpoint.__doc__ = route.handler.__doc__
    endpoint.route = route
    return endpoint


def error_page(request, response, web, exc: IrisError) -> str:
    status, body = describe(exc)
    return web.pages.render(request, response, "error.html", status=status, errors=body["errors"])


def authorise_page(request, response, route: Route, web) -> None:
    """Sets `request.context.page` and `.uow`; a page that needs a user and has none redirects to sign in."""
    check_query(request, route.query_names, route.repeatable_query)
    state = request.context.state
    uow = request.context.uow = state.unit_of_work(ANONYMOUS)
    if route.read_only:
        uow.read_only()  # no BEGIN and ROLLBACK around the session's check and the page's reads
    secret = web.cookies.read(request, SESSION)
    found = web_sessions.identify(uow, secret, web.lifetime, _now()) if secret is not None else None
    if secret is not None and found is None:
        web.cookies.clear(response, SESSION)  # signed out, expired or deactivated: forget it
        secret = None
    uow.actor = _actor(request, route, state, found)
    basis = secret if secret is not None else _browser_id(request, response, web)
    token = web.cookies.csrf_token(basis) if basis is not None else ""
    unread = found.unread if found is not None else None
    request.context.page = PageContext(
        uow.actor, found is not None, state.settings.auth_open, token, request.path, unread
    )
    if request.method == "POST":
        refuse_cross_site(request)
        request.context.form = read_form(request)
        if route.path == SIGN_OUT and found is None:
            return  # no session to end: nothing a forged request could do, and a stale page's token cannot match
        web.cookies.check_csrf(basis, request.context.form.pop("csrf", None))


def _actor(request, route: Route, state, found) -> Actor:
    """The session's user; else on a public page the least of users, in open mode the local admin."""
    if found is not None:
        if found.stale:
            touch = web_sessions.note_use
            request.context.afterwards.append(
                lambda: touch(state.unit_of_work(found.actor), found.actor.session_id, _now())
            )
        actor = found.actor
    elif route.policy == PUBLIC:
        return NOBODY
    elif state.settings.auth_open:
        actor = ANONYMOUS
    else:
        _sign_in_first(request)
    if route.policy in (AGENT, ADMIN):
        actor.require(route.policy)
    return actor


def _browser_id(request, response, web) -> str:
    """The CSRF basis before signing in: a random value in a cookie of the browser's own."""
    known = web.cookies.read(request, BROWSER)
    if known is not None or request.method == "POST":
        return known  # a POST without one has no token that can match: refused
    made = new_browser_id()
    web.cookies.write(response, BROWSER, made)
    return made


def redirect(response, location: str) -> str:
    """303 See Other: after a form's POST, the browser GETs `location` (so Reload never posts again)."""
    response.status = falcon.HTTP_303
    response.content_type = "text/html; charset=utf-8"  # an empty page, not raw bytes of no type
    response.set_headers(PAGE_HEADERS)
    response.set_header("Cache-Control", "no-store")
    response.set_header("Location", location)
    return ""


def local_target(raw) -> str:
    """Where to go after signing in: a path on this site only, never another site (`//evil`, `/\\evil`)."""
    if not isinstance(raw, str) or not raw.startswith("/") or raw.startswith(("//", "/\\")) or len(raw) > 2000:
        return "/"
    return raw if raw.isascii() and raw.isprintable() else "/"


def _sign_in_first(request) -> None:
    target = "/sign-in?next=" + quote(request.relative_uri if request.method == "GET" else "/", safe="")
    if is_fragment_request(request):
        # fetch follows a redirect silently and would swap the sign-in page into a part of this one
        raise falcon.HTTPStatus(falcon.HTTP_200, headers={"X-Iris-Redirect": target})
    raise falcon.HTTPSeeOther(target)


def _now() -> datetime:
    return datetime.now(timezone.utc)
