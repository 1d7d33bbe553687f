"""The board: one workflow's tickets in a column per status, newest first, a page of each at a time."""

from dataclasses import dataclass, replace
from typing import Optional, Sequence

from iris.errors import RuleBroken, found
from iris.repositories.search_syntax import search_problem
from iris.repositories.ticket_list import CountBudget, ListedTicket, SortKey, TicketFilter
from iris.repositories.workflows import Definition
from iris.services.tickets import NO_WORDS
from iris.services.unit_of_work import UnitOfWork

NEWEST_FIRST = (SortKey("ticket_id", descending=True),)
WORKFLOWS_LISTED = 100  # the board's workflow picker; a team with more names the workflow it wants


@dataclass(frozen=True)
class Column:
    status: str
    closed: bool
    tickets: list[ListedTicket]
    more_before: Optional[int]  # the last ticket id shown, when older ones follow
    total: Optional[int]  # None when counting would take longer than the budget


@dataclass(frozen=True)
class Board:
    workflow: Definition
    workflows: Sequence[str]
    columns: list[Column]


@dataclass(frozen=True)
class Window:
    """Which cards: `per_column` of each column; of the `status` column (all of them: None), those before `before`."""

    per_column: int
    status: Optional[str] = None
    before: Optional[int] = None


def board(uow: UnitOfWork, workflow: str, f: TicketFilter, window: Window, budget: CountBudget) -> Board:
    """The columns of `workflow` (only `window.status`'s when it names one), filtered by `f` as a ticket search is."""
    if f.q is not None and (problem := search_problem(f.q)):
        raise RuleBroken({"q": problem})
    with uow:
        definition = found(uow.workflows.get(workflow), "workflow", workflow)
        if window.status is not None and window.status not in definition.statuses:
            raise RuleBroken({"status": f"{window.status!r} is not a status of workflow {workflow!r}"})
        shown = [window.status] if window.status is not None else definition.statuses
        columns = [
            _column(uow, definition, replace(f, workflows=[workflow], statuses=[s]), window, budget) for s in shown
        ]
        if f.q is not None and not any(c.tickets for c in columns) and not uow.ticket_list.has_words(f.q):
            raise RuleBroken({"q": NO_WORDS})
        return Board(definition, uow.workflows.names(limit=WORKFLOWS_LISTED), columns)


def _column(uow: UnitOfWork, definition: Definition, f: TicketFilter, window: Window, budget: CountBudget) -> Column:
    status = f.statuses[0]
    before = [window.before] if window.before is not None and window.status == status else None
    rows, _ = uow.ticket_list.fetch_page(f, NEWEST_FIRST, before, window.per_column + 1)
    page = rows[: window.per_column]
    more = page[-1].ticket_id if len(rows) > window.per_column else None
    return Column(status, status in definition.closed, page, more, uow.ticket_list.count_within(f, budget))
