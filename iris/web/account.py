"""The account page: who you are, and changing your own password."""

from iris.api.middleware import unit_of_work
from iris.errors import FieldErrors
from iris.services import passwords


def account_page(request, response):
    return _page(request, response)


def change_password(request, response):
    form, page = request.context.form, request.context.page
    new, again = form.get("password", ""), form.get("password_again", "")
    if not page.signed_in:
        return _page(request, response, 422, {"password": "sign in first: open mode's `anonymous` has no password"})
    if new != again:
        return _page(request, response, 422, {"password_again": "is not the same as the new password"})
    try:
        passwords.set_password(unit_of_work(request), page.actor.username, new, current=form.get("current_password"))
    except FieldErrors as exc:
        return _page(request, response, 422, exc.errors)
    return _page(request, response, done="Your password was changed; your other sessions were signed out.")


def _page(request, response, status: int = 200, errors=None, done: str = "") -> str:
    return request.context.state.web.pages.render(
        request, response, "account.html", status=status, errors=errors or {}, done=done
    )
