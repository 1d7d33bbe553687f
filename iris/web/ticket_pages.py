"""The ticket page, and its forms: edit (and assign), move along the workflow, comment, watch and stop watching.

Each form sends the version it showed; a ticket changed meanwhile is shown as it is now, with a message,
and the change is not applied (VersionMismatch, the API's 412). Without a script, a form that worked
redirects back to the page (303); the page's script asks for the ticket's part of the page instead.
"""

from iris.api.middleware import unit_of_work
from iris.api.routes import IntParam
from iris.errors import FieldErrors, VersionMismatch
from iris.repositories.idempotency_keys import KeptAnswer
from iris.schemas import CommentCreate, TicketPatch, TransitionRequest, parse
from iris.services import comments, tickets, watchers, workflows
from iris.services.preconditions import Precondition
from iris.services.ticket_view import Pages, ticket_view
from iris.web.binding import redirect
from iris.web.forms import end_of_day, given, once
from iris.web.render import is_fragment_request

TICKET_ID = IntParam("ticket_id", "the ticket's id", minimum=1)
COMMENTS_AFTER = IntParam("comments_after", "list all comments from the start, after this comment id")
HISTORY_AFTER = IntParam("history_after", "the history from after this entry id")
QUERY = (COMMENTS_AFTER, HISTORY_AFTER)
VERSION = IntParam("version", "the version the page showed", minimum=1)
FIRST_PAGES = Pages()


def ticket_page(request, response):
    pages = Pages(COMMENTS_AFTER.from_query(request), HISTORY_AFTER.from_query(request))
    return _show(request, response, TICKET_ID.from_path(request), pages=pages)


def edit(request, response):
    ticket_id, form = TICKET_ID.from_path(request), request.context.form
    fields = given(form, "description", "assignee", "due")
    if "title" in form:
        fields["title"] = form["title"]  # a blank title is the API's "must not be empty", never a null
    if "due" in fields and (form.get("due") or "") == form.get("due_shown", ""):
        del fields["due"]  # unchanged: the day shown stands for a due that may have a time of day
    elif fields.get("due"):
        fields["due"] = end_of_day(fields["due"])
    return _write(
        request,
        response,
        ticket_id,
        lambda uow, version: tickets.edit_ticket(uow, ticket_id, parse(TicketPatch, fields), Precondition.at(version)),
    )


def move(request, response):
    ticket_id, to = TICKET_ID.from_path(request), request.context.form.get("to", "")
    return _write(
        request,
        response,
        ticket_id,
        lambda uow, version: workflows.move_ticket(
            uow, ticket_id, parse(TransitionRequest, {"to": to}), Precondition.at(version)
        ),
    )


def comment(request, response):
    ticket_id, body = TICKET_ID.from_path(request), request.context.form.get("body", "")
    key = once(request, lambda made: KeptAnswer(303, {"comment_id": made.comment_id}, f"/ticket/{ticket_id}"))
    return _write(
        request,
        response,
        ticket_id,
        lambda uow, version: comments.comment_on(uow, ticket_id, parse(CommentCreate, {"body": body}), key=key),
        versioned=False,
    )


def watch(request, response):
    """The reader watches the ticket (the watchers service: yourself always; `anonymous` never)."""
    ticket_id = TICKET_ID.from_path(request)
    return _write(
        request, response, ticket_id, lambda uow, _: watchers.watch(uow, ticket_id, watchers.ME), versioned=False
    )


def unwatch(request, response):
    ticket_id = TICKET_ID.from_path(request)
    return _write(
        request, response, ticket_id, lambda uow, _: watchers.unwatch(uow, ticket_id, watchers.ME), versioned=False
    )


def _write(request, response, ticket_id: int, change, versioned: bool = True) -> str:
    uow, form = unit_of_work(request), request.context.form
    try:
        change(uow, _version(form) if versioned else None)
    except VersionMismatch as exc:
        message = (
            f"Someone else changed this ticket (it is now at version {exc.current}) since you loaded it. "
            "Your change was not applied; here is the ticket as it is now."
        )
        return _show(request, response, ticket_id, status=409, conflict=message, sent=form)
    except FieldErrors as exc:  # the API's 400 or 422, with the same messages, beside the fields
        return _show(request, response, ticket_id, status=422, errors=exc.errors, sent=form)
    if is_fragment_request(request):
        return _show(request, response, ticket_id)
    return redirect(response, f"/ticket/{ticket_id}")


def _version(form: dict) -> int:
    return VERSION.parse(form.get("version", ""))


def _show(request, response, ticket_id: int, status: int = 200, pages: Pages = FIRST_PAGES, **context) -> str:
    uow = unit_of_work(request)
    if uow.entered:  # after a write: its unit of work is spent, and its connection already given back
        uow = request.context.state.unit_of_work(uow.actor)
    view = ticket_view(uow, ticket_id, pages)
    template = "_ticket_main.html" if is_fragment_request(request) else "ticket.html"
    context = {"conflict": "", "errors": {}, "sent": {}, **context}
    return request.context.state.web.pages.render(request, response, template, status=status, view=view, **context)
