"""Who watches which ticket (ticket_watchers)."""

from typing import Iterable

from sqlalchemy import Row, delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from iris.models import Ticket, User
from iris.models_notify import TicketWatcher

_ADD = text(
    "INSERT INTO ticket_watchers (ticket_id, user_id) "
    "SELECT :ticket_id, user_id FROM users WHERE lower(username) = ANY(:names) ON CONFLICT DO NOTHING"
)


class WatcherRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, ticket_id: int, usernames: Iterable[str]) -> None:
        """The users named (whatever the case) watch the ticket; already watching, or no such user: nothing.

        The caller holds the ticket (just made, or row-locked), so it cannot vanish meanwhile. Plain SQL: every new
        ticket runs it, and building the same statement with the ORM cost more than the round trip (profiled)."""
        names = sorted({name.lower() for name in usernames if name})
        if names:
            self.session.execute(_ADD, {"ticket_id": ticket_id, "names": names})

    def watch(self, ticket_id: int, user_id: int) -> bool:
        """The user watches the ticket (idempotent); False when the ticket is gone. The ticket's row is share-locked
        until this commits: a deletion waits for it (and its worker then drops this watcher with the rest), and a
        deletion that committed first leaves nothing to watch. (ticket_watchers has no foreign key to tickets.)"""
        if (
            self.session.scalar(
                select(Ticket.ticket_id).where(Ticket.ticket_id == ticket_id).with_for_update(read=True)
            )
            is None
        ):
            return False
        statement = insert(TicketWatcher).values(ticket_id=ticket_id, user_id=user_id).on_conflict_do_nothing()
        self.session.execute(statement)
        return True

    def remove(self, ticket_id: int, user_id: int) -> None:
        self.session.execute(
            delete(TicketWatcher).where(TicketWatcher.ticket_id == ticket_id, TicketWatcher.user_id == user_id)
        )

    def of_ticket(self, ticket_id: int) -> list[Row]:
        """The ticket's watchers (user_id, username, display_name, created), longest-standing first."""
        query = (
            select(User.user_id, User.username, User.display_name, TicketWatcher.created)
            .join(User, User.user_id == TicketWatcher.user_id)
            .where(TicketWatcher.ticket_id == ticket_id)
            .order_by(TicketWatcher.created, User.user_id)
        )
        return list(self.session.execute(query).all())
