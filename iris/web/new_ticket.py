"""Creating a ticket from the page: the API's rules and messages, shown beside the fields."""

from iris.api.middleware import unit_of_work
from iris.errors import FieldErrors
from iris.repositories.idempotency_keys import KeptAnswer
from iris.schemas import TicketCreate, parse
from iris.services import tickets
from iris.services.idempotency import Created
from iris.services.rights import can_assign
from iris.services.workflows import list_workflows
from iris.web.binding import redirect
from iris.web.forms import end_of_day, given, once

WORKFLOWS_LISTED = 100


def new_ticket_form(request, response):
    return _form(request, response)


def create(request, response):
    form = request.context.form
    fields = {
        k: v for k, v in given(form, "title", "description", "assignee", "due", "workflow").items() if v is not None
    }
    fields.setdefault("title", form.get("title", ""))  # an empty title is the API's "must not be empty"
    if "due" in fields:
        fields["due"] = end_of_day(fields["due"])
    try:
        outcome = tickets.open_ticket(unit_of_work(request), parse(TicketCreate, fields), key=once(request, _kept))
    except FieldErrors as exc:
        return _form(request, response, status=422, errors=exc.errors, sent=form)
    return redirect(response, _kept(outcome.item).location if isinstance(outcome, Created) else outcome.answer.location)


def _kept(ticket) -> KeptAnswer:
    return KeptAnswer(303, {"ticket_id": ticket.ticket_id}, f"/ticket/{ticket.ticket_id}")


def _form(request, response, status: int = 200, errors=None, sent=None) -> str:
    uow = unit_of_work(request)
    if uow.entered:
        uow = request.context.state.unit_of_work(uow.actor)
    names = [w.name for w in list_workflows(uow, after=None, limit=WORKFLOWS_LISTED)[0]]
    return request.context.state.web.pages.render(
        request,
        response,
        "new_ticket.html",
        status=status,
        workflows=names,
        errors=errors or {},
        sent=sent or {},
        may_assign=can_assign(uow.actor),
    )
