from dataclasses import dataclass
from typing import Optional, Sequence

from sqlalchemy.orm import Session

from iris.errors import NotFound, RuleBroken
from iris.models import Comment, Ticket
from iris.repositories.comments import CommentRepository
from iris.repositories.ticket_list import SortKey, TicketFilter, count_within, cursor_values, fetch_page
from iris.repositories.tickets import TicketRepository
from iris.repositories.workflows import WorkflowRepository
from iris.schemas import TicketCreate, TicketPatch

RECENT_COMMENTS = 20


def open_ticket(session: Session, data: TicketCreate) -> Ticket:
    """A new ticket, in the initial status of its workflow."""
    workflow = WorkflowRepository(session).get(data.workflow)
    if workflow is None:
        raise RuleBroken({"workflow": f"there is no workflow named {data.workflow!r}"})
    ticket = TicketRepository(session).add(**data.model_dump(), status=workflow.initial)
    session.commit()
    return ticket


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = TicketRepository(session).get(ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    return ticket


def get_ticket_detail(session: Session, ticket_id: int) -> tuple[Ticket, list[Comment], int]:
    """The ticket, its most recent comments and their total: two queries, however many comments."""
    ticket = get_ticket(session, ticket_id)
    comments, total = CommentRepository(session).recent_with_total(ticket_id, RECENT_COMMENTS)
    return ticket, comments, total


@dataclass
class TicketPage:
    tickets: list[Ticket]
    next_after: Optional[list]  # the last ticket's sort values, when more tickets follow
    total: Optional[int]  # None when counting would have taken longer than the budget


def find_tickets(
    session: Session,
    f: TicketFilter,
    sort: Sequence[SortKey],
    *,
    after: Optional[Sequence],
    limit: int,
    count_budget_ms: int,
    statement_timeout_ms: int,
    count_max_estimate: int,
) -> TicketPage:
    """One keyset page of the tickets that match `f`, in `sort` order, and the exact total if it is cheap enough."""
    rows = fetch_page(session, f, sort, after, limit + 1)
    page = rows[:limit]
    more = len(rows) > limit
    next_after = cursor_values(page[-1][0], page[-1][1], sort) if more else None
    total = count_within(session, f, count_budget_ms, statement_timeout_ms, count_max_estimate)
    return TicketPage([ticket for ticket, _ in page], next_after, total)


def edit_ticket(session: Session, ticket_id: int, patch: TicketPatch) -> Ticket:
    repo = TicketRepository(session)
    changes = patch.changes()
    if "due" in changes:
        changes["due_raw"] = None  # a due set through the API supersedes the unparsed legacy text
    ticket = repo.update(ticket_id, changes) if changes else repo.get(ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    session.commit()
    return ticket


def delete_ticket(session: Session, ticket_id: int) -> None:
    if not TicketRepository(session).delete(ticket_id):
        raise NotFound("ticket", ticket_id)
    session.commit()
