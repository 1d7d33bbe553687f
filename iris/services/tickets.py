from typing import Optional, Sequence

from sqlalchemy.orm import Session

from iris.errors import NotFound
from iris.models import Ticket
from iris.repositories.tickets import TicketRepository
from iris.schemas import TicketCreate, TicketPatch


def open_ticket(session: Session, data: TicketCreate) -> Ticket:
    ticket = TicketRepository(session).add(**data.model_dump())
    session.commit()
    return ticket


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = TicketRepository(session).get(ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    return ticket


def list_tickets(session: Session, *, after: Optional[int], limit: int) -> tuple[Sequence[Ticket], bool]:
    """A page of tickets, and whether more remain after it."""
    rows = TicketRepository(session).page(after=after, limit=limit + 1)
    return rows[:limit], len(rows) > limit


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
