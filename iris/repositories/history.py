"""The ticket journal: recording entries and reading them back."""

from typing import Any, Optional, Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from iris.models import TicketHistory


class HistoryRepository:
    def __init__(self, session: Session):
        self.session = session

    def record(self, entries: Sequence[dict[str, Any]]) -> None:
        if entries:
            self.session.execute(insert(TicketHistory), list(entries))

    def exists(self, ticket_id: int) -> bool:
        return (
            self.session.scalar(select(TicketHistory.entry_id).where(TicketHistory.ticket_id == ticket_id).limit(1))
            is not None
        )

    def page(self, ticket_id: int, *, after: Optional[int], limit: int) -> Sequence[TicketHistory]:
        query = (
            select(TicketHistory)
            .where(TicketHistory.ticket_id == ticket_id)
            .order_by(TicketHistory.entry_id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(TicketHistory.entry_id > after)
        return self.session.scalars(query).all()

    def recent_for_tickets(self, ticket_ids: Sequence[int], per_ticket: int) -> dict[int, list[TicketHistory]]:
        """The `per_ticket` newest entries of each of these tickets, oldest first, in one query."""
        found: dict[int, list[TicketHistory]] = {ticket_id: [] for ticket_id in ticket_ids}
        newest = func.row_number().over(partition_by=TicketHistory.ticket_id, order_by=TicketHistory.entry_id.desc())
        ranked = (
            select(TicketHistory.entry_id, newest.label("n")).where(TicketHistory.ticket_id.in_(ticket_ids)).subquery()
        )
        rows = self.session.scalars(
            select(TicketHistory)
            .join(ranked, ranked.c.entry_id == TicketHistory.entry_id)
            .where(ranked.c.n <= per_ticket)
            .order_by(TicketHistory.ticket_id, TicketHistory.entry_id)
        )
        for row in rows:
            found[row.ticket_id].append(row)
        return found
