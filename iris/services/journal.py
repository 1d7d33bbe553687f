"""The ticket journal: what each use case records, in its own transaction, and reading it back."""

import uuid
from datetime import datetime
from typing import Any, Optional, Sequence

from sqlalchemy.orm import Session

from iris.errors import NotFound
from iris.models import Ticket, TicketHistory
from iris.repositories.history import HistoryRepository
from iris.repositories.tickets import TicketRepository

TRACKED = ("title", "assignee", "description", "due", "due_raw", "workflow", "status")
ANONYMOUS = "anonymous"  # who acted, until iris has authentication


def plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def snapshot(ticket: Ticket) -> dict[str, Any]:
    return {"ticket_id": ticket.ticket_id, **{name: plain(getattr(ticket, name)) for name in TRACKED}}


class Changeset:
    """The entries of one request, all with one change-set id."""

    def __init__(self, actor: str = ANONYMOUS):
        self.id = uuid.uuid4()
        self.actor = actor
        self.entries: list[dict[str, Any]] = []

    def add(self, ticket_id: int, action: str, field: Optional[str] = None, old: Any = None, new: Any = None) -> None:
        self.entries.append(
            {"ticket_id": ticket_id, "changeset": self.id, "actor": self.actor, "action": action, "field": field, "old": plain(old), "new": plain(new)}
        )

    def changed(self, ticket_id: int, before: dict[str, Any], after: dict[str, Any]) -> None:
        for name in TRACKED:
            if name in after and plain(before.get(name)) != plain(after[name]):
                self.add(ticket_id, "transition" if name == "status" else "changed", name, before.get(name), after[name])

    def save(self, session: Session) -> None:
        HistoryRepository(session).record(self.entries)


def history_page(
    session: Session, ticket_id: int, *, after: Optional[int], limit: int, deleted_too: bool = False
) -> tuple[Sequence[TicketHistory], bool]:
    """A page of a ticket's journal, oldest first. A deleted ticket's journal is kept, and read
    with `deleted_too` (the admin path); otherwise the ticket must still exist."""
    repo = HistoryRepository(session)
    if not deleted_too and not TicketRepository(session).exists(ticket_id):
        raise NotFound("ticket", ticket_id)
    rows = repo.page(ticket_id, after=after, limit=limit + 1)
    if deleted_too and not rows and after is None and not repo.exists(ticket_id):
        raise NotFound("ticket", ticket_id)
    return rows[:limit], len(rows) > limit


def histories(session: Session, ticket_ids: Sequence[int]) -> dict[int, list[TicketHistory]]:
    return HistoryRepository(session).for_tickets(ticket_ids)
