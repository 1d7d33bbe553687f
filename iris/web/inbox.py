"""The inbox page: my newest notifications, a page at a time, newest first; marking one read or unread, and all
of them up to the newest shown. The inbox service (iris/services/inbox.py) does the work: only ever my own."""

from iris.api.middleware import unit_of_work
from iris.api.notifications import NOTIFICATION_ID, BigIdParam
from iris.errors import InvalidInput
from iris.services import inbox as service
from iris.services.identity import ANONYMOUS
from iris.services.inbox import InboxQuery
from iris.web.binding import redirect

PER_PAGE = 50
BEFORE = BigIdParam("before", "notifications older than this one (the previous page's last)", minimum=1)
QUERY = (BEFORE,)
UP_TO = BigIdParam("up_to", "the newest notification shown: it and every older one of mine are marked read", minimum=1)
READ = {"1": True, "0": False}


def inbox_page(request, response):
    before, uow = BEFORE.from_query(request), unit_of_work(request)
    if uow.actor.username.lower() == ANONYMOUS.username:  # open mode's `anonymous` is told nothing: no inbox
        return _render(request, response, items=[], unread=0, older=None)
    query = InboxQuery("time", after=(before,) if before is not None else None, limit=PER_PAGE)
    page = service.list_notifications(uow, query)
    older = page.next_after[0] if page.next_after is not None else None
    return _render(request, response, items=page.items, unread=page.unread, older=older)


def mark_all_read(request, response):
    """Mine up to the newest the page showed: what arrived since stays unread."""
    up_to = _required(UP_TO, request.context.form)
    service.mark_read_up_to(unit_of_work(request), up_to)
    return redirect(response, "/inbox")


def mark_one(request, response):
    """One of mine read (`read=1`) or unread (`read=0`); anyone else's is not found, like one that does not exist."""
    notification_id, form = NOTIFICATION_ID.from_path(request), request.context.form
    if form.get("read") not in READ:
        raise InvalidInput({"read": "must be 1 (read) or 0 (unread)"})
    service.mark(unit_of_work(request), notification_id, READ[form["read"]])
    return redirect(response, "/inbox")


def _required(param: BigIdParam, form: dict) -> int:
    if param.name not in form:
        raise InvalidInput({param.name: "is required; reload the page"})
    return param.parse(form[param.name])


def _render(request, response, **context) -> str:
    return request.context.state.web.pages.render(request, response, "inbox.html", **context)
