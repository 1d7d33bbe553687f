"""Signing in and out of the web page."""

import logging
from datetime import datetime, timezone

from iris.api.access import NOBODY
from iris.api.middleware import unit_of_work
from iris.api.routes import TextParam
from iris.errors import SignInFailed
from iris.services import web_sessions
from iris.services.web_sessions import SignIn
from iris.web.binding import local_target, redirect
from iris.web.security import SESSION

log = logging.getLogger("iris.web")
NEXT = TextParam("next", "where to go once signed in (a path on this site)", max_length=2000)


def sign_in_form(request, response):
    """The sign-in page; a signed-in browser goes straight on."""
    target = local_target(request.get_param("next"))
    if request.context.page.signed_in:
        return redirect(response, target)
    return _form(request, response, target)


def sign_in(request, response):
    state, form = request.context.state, request.context.form
    web, username = state.web, form.get("username", "")
    target = local_target(form.get("next"))
    wait = state.password_attempts.attempt(username, request.remote_addr or "unknown")
    if wait:
        return _refused(request, response, target, username, wait)
    # The check of the cookie may hold a connection; hashing must not (web_sessions.sign_in).
    unit_of_work(request).close()
    attempt = SignIn(username, form.get("password", ""), web.cookies.read(request, SESSION))
    try:
        started = web_sessions.sign_in(lambda: state.unit_of_work(NOBODY), attempt, web.lifetime, _now())
    except SignInFailed as exc:
        # Not the username: people type their password into it by mistake, and logs outlive that.
        log.info("sign-in failed from %s", request.remote_addr)
        return _form(request, response, target, username, str(exc), status=401)
    state.password_attempts.succeeded(username)
    web.cookies.write(response, SESSION, started.secret, max_age=web.cookies.session_seconds)
    log.info("signed in: %s (session %d)", started.actor.username, started.actor.session_id)
    return redirect(response, target)


def sign_out(request, response):
    web = request.context.state.web
    secret = web.cookies.read(request, SESSION)
    if secret is not None:
        web_sessions.sign_out(unit_of_work(request), secret)
    web.cookies.clear(response, SESSION)
    return redirect(response, "/sign-in")


def _refused(request, response, target: str, username: str, wait: int) -> str:
    log.warning("sign-in refused: too many attempts for this account or from %s", request.remote_addr)
    response.set_header("Retry-After", str(wait))
    error = f"too many sign-in attempts; try again in {math_minutes(wait)}"
    return _form(request, response, target, username, error, status=429)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def math_minutes(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}" if seconds >= 60 else f"{seconds} seconds"


def _form(request, response, target: str, username: str = "", error: str = "", status: int = 200) -> str:
    web = request.context.state.web
    return web.pages.render(
        request, response, "sign_in.html", status=status, next=target, username=username, error=error
    )
