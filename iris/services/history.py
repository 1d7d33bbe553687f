"""Reading a ticket's journal back, a page at a time."""

from typing import Optional, Sequence

from iris.errors import NotFound
from iris.models import TicketHistory
from iris.services.unit_of_work import UnitOfWork


def history_page(
    uow: UnitOfWork, ticket_id: int, *, after: Optional[int], limit: int, deleted_too: bool = False
) -> tuple[Sequence[TicketHistory], bool]:
    """A page of a ticket's journal, oldest first, and whether more follow. A deleted ticket's journal is
    kept, and read with `deleted_too` (the admin path); otherwise the ticket must still exist."""
    with uow:
        if not deleted_too and not uow.tickets.exists(ticket_id):
            raise NotFound("ticket", ticket_id)
        rows = uow.history.page(ticket_id, after=after, limit=limit + 1)
        if deleted_too and not rows and after is None and not uow.history.exists(ticket_id):
            raise NotFound("ticket", ticket_id)
        return rows[:limit], len(rows) > limit
