"""The account page: who you are, changing your own password, and what you hear about (notification preferences)."""

from dataclasses import replace

from iris.api.middleware import unit_of_work
from iris.api.routes import TextParam
from iris.errors import FieldErrors, InvalidInput
from iris.models_notify import CHANNELS, EVENTS
from iris.services import inbox, passwords
from iris.web.binding import redirect

CHANGED = TextParam("changed", "1: say that the password was changed", max_length=1, pattern="^1$", expected="1")
SAVED = TextParam("saved", "1: say that the preferences were saved", max_length=1, pattern="^1$", expected="1")
QUERY = (CHANGED, SAVED)
EVENT, CHANNEL = "event_", "channel_"  # a checkbox a name: the form reader takes each field once
EVENT_TEXT = {
    "created": "any new ticket is opened (every one, watched or not)",
    "assigned": "a ticket is assigned to me",
    "commented": "a comment is added to a ticket I watch",
    "moved": "a ticket I watch changes status",
    "changed": "any other field of a ticket I watch changes",
    "deleted": "a ticket I watch is deleted",
}
CHANNEL_TEXT = {"inbox": "in my inbox on this site", "email": "by e-mail to my address"}


def account_page(request, response):
    done = "Your password was changed; your other sessions were signed out." if CHANGED.from_query(request) else ""
    saved = "Saved: this is what you hear about now." if SAVED.from_query(request) else ""
    return _page(request, response, done=done, saved=saved)


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


def set_preferences(request, response):
    """The boxes ticked, through the preferences service: its validation, its messages beside the form."""
    events, channels = _ticked(request.context.form)
    try:
        inbox.set_preferences(unit_of_work(request), events, channels)
    except FieldErrors as exc:
        return _page(request, response, 422, sent=(events, channels), preference_errors=exc.errors)
    return redirect(response, "/account?saved=1#notifications")


def _ticked(form: dict[str, str]) -> tuple[list[str], list[str]]:
    """The names of the boxes ticked (a name outside the lists goes on, for the service to refuse it by name)."""
    unknown = [name for name in form if not name.startswith((EVENT, CHANNEL))]
    if unknown:
        raise InvalidInput(dict.fromkeys(unknown, "is not a field of this form"))
    return _named(form, EVENT), _named(form, CHANNEL)


def _named(form: dict[str, str], prefix: str) -> list[str]:
    return [name.removeprefix(prefix) for name in form if name.startswith(prefix)]


def _page(request, response, status: int = 200, errors=None, sent=None, **context) -> str:
    uow = unit_of_work(request)
    if uow.entered:  # after a write that failed: its unit of work is spent
        uow = request.context.state.unit_of_work(uow.actor)
    preferences = inbox.get_preferences(uow)
    if sent is not None:  # a refused choice: the boxes as they were ticked, not as they are kept
        preferences = replace(preferences, events=tuple(sent[0]), channels=tuple(sent[1]), chosen=True)
    context = {"done": "", "saved": "", "preference_errors": {}, "errors": errors or {}, **context}
    events = [(name, EVENT_TEXT[name]) for name in EVENTS]
    channels = [(name, CHANNEL_TEXT[name]) for name in CHANNELS]
    return request.context.state.web.pages.render(
        request, response, "account.html", status, preferences=preferences, events=events, channels=channels, **context
    )
