"""The board page: one workflow's tickets in columns by status, with filters and a search box."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Optional

from iris.api.middleware import unit_of_work
from iris.api.routes import IntParam, TextParam
from iris.api.ticket_list import Q as SEARCH
from iris.errors import FieldErrors
from iris.repositories.ticket_list import CountBudget, TicketFilter
from iris.services import board as service
from iris.web.render import is_fragment_request

PER_COLUMN = 25
DUE_CHOICES = {"": "any time", "overdue": "overdue", "week": "due within 7 days"}


@dataclass(frozen=True)
class Blankable(TextParam):
    """A field of the board's filter form: browsers send the empty ones too, and empty means unfiltered."""

    def from_query(self, request) -> Optional[str]:
        raw = request.get_param(self.name)
        return None if raw is None or not raw.strip() else super().from_query(request)


WORKFLOW = Blankable("workflow", "the workflow whose board to show", max_length=50)
ASSIGNEE = Blankable("assignee", "assigned to: a username, `me` or `none`", max_length=100)
REPORTER = Blankable("reporter", "reported by: a username or `me`", max_length=100)
DUE = Blankable("due", "overdue, or week", max_length=10, pattern=r"^(overdue|week)$", expected="overdue or week")
Q = Blankable(SEARCH.name, SEARCH.description, SEARCH.max_length)
COLUMN = Blankable("column", "the column whose older cards to show", max_length=50)
BEFORE = IntParam("before", "cards of `column` older than this ticket id", minimum=1)
QUERY = (WORKFLOW, ASSIGNEE, REPORTER, DUE, Q, COLUMN, BEFORE)


def board_page(request, response):
    web, uow = request.context.state.web, unit_of_work(request)
    chosen = {p.name: p.from_query(request) for p in (WORKFLOW, ASSIGNEE, REPORTER, DUE, Q)}
    window = service.Window(PER_COLUMN, COLUMN.from_query(request), BEFORE.from_query(request))
    settings = request.context.state.settings
    budget = CountBudget(settings.count_budget_ms, settings.count_max_estimate, settings.statement_timeout_ms)
    now = datetime.now(timezone.utc)
    context = {"chosen": chosen, "due_choices": DUE_CHOICES, "now": now, "filters": _kept(chosen)}
    try:
        shown = service.board(
            uow, chosen["workflow"] or "default", _filter(chosen, uow.actor.username, now), window, budget
        )
    except FieldErrors as exc:  # a search with no words, a workflow or status that does not exist
        return web.pages.render(request, response, "board.html", status=422, board=None, errors=exc.errors, **context)
    if is_fragment_request(request) and window.status is not None:
        return web.pages.render(
            request, response, "_column_cards.html", column=shown.columns[0], board=shown, **context
        )
    return web.pages.render(request, response, "board.html", board=shown, errors={}, **context)


def _filter(chosen: dict, me: str, now: datetime) -> TicketFilter:
    f = TicketFilter(q=chosen["q"])
    if chosen["assignee"]:
        f = replace(f, assignees=[me if chosen["assignee"] == "me" else chosen["assignee"]])
    if chosen["reporter"]:
        f = replace(f, reporters=[me if chosen["reporter"] == "me" else chosen["reporter"]])
    if chosen["due"] == "overdue":
        f = replace(f, overdue=True)
    elif chosen["due"] == "week":
        f = replace(f, due_after=now, due_before=now + timedelta(days=7))
    return f


def _kept(chosen: dict) -> list[tuple[str, str]]:
    """The filters, for the links that page a column: they keep what the board shows."""
    return [(name, value) for name, value in chosen.items() if value]
