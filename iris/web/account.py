"""The account page: who you are, and changing your own password."""

from iris.api.middleware import unit_of_work
from iris.api.routes import TextParam
from iris.errors import FieldErrors
from iris.services import passwords
from iris.web.binding import redirect

CHANGED = TextParam("changed", "1: say that the password was changed", max_length=1, pattern="^1$", expected="1")


def account_page(request, response):
    done = "Your password was changed; your other sessions were signed out." if CHANGED.from_query(request) else ""
    return _page(request, response, done=done)


def change_password(request, response):
    form, page = request.context.form, request.context.page
    new, again = form.get("password", ""), form.get("password_again", "")
    if not page.signed_in:
        return _page(request, response, 422, {"password": "sign in first: open mode's `anonymous` has no password"})
    if new != again:
        return _page(request, response, 422, {"password_again": "is not the same as the new password"})
    attempts = request.context.state.password_attempts
    wait = attempts.attempt(page.actor.username, request.remote_addr or "unknown")
    if wait:  # the current password is guessed no faster here than at the sign-in form
        response.set_header("Retry-After", str(wait))
        return _page(request, response, 429, {"current_password": f"too many attempts; try again in {wait} seconds"})
    try:
        passwords.set_password(unit_of_work(request), page.actor.username, new, current=form.get("current_password"))
    except FieldErrors as exc:
        return _page(request, response, 422, exc.errors)
    attempts.succeeded(page.actor.username)
    return redirect(response, "/account?changed=1")


def _page(request, response, status: int = 200, errors=None, done: str = "") -> str:
    return request.context.state.web.pages.render(
        request, response, "account.html", status=status, errors=errors or {}, done=done
    )
