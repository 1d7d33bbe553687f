"""`ticket_counts` against the tickets themselves: where they differ, and rebuilding it."""

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from iris.models import Ticket, ticket_counts


class TicketCountsRepository:
    def __init__(self, session: Session):
        self.session = session

    def totals(self) -> list[tuple[str, str, int]]:
        c = ticket_counts.c
        query = select(c.workflow, c.status, func.sum(c.tickets)).group_by(c.workflow, c.status)
        return [(w, s, int(n)) for w, s, n in self.session.execute(query.order_by(c.workflow, c.status))]

    def differences(self) -> list[tuple[str, str, int, int]]:
        """(workflow, status, kept, actual) wherever `ticket_counts` disagrees with the tickets.

        One statement, so both sides come from one snapshot and concurrent writers cannot fake a difference.
        """
        kept = (
            select(ticket_counts.c.workflow, ticket_counts.c.status, func.sum(ticket_counts.c.tickets).label("n"))
            .group_by(ticket_counts.c.workflow, ticket_counts.c.status)
            .subquery("kept")
        )
        actual = (
            select(Ticket.workflow, Ticket.status, func.count().label("n"))
            .group_by(Ticket.workflow, Ticket.status)
            .subquery("actual")
        )
        workflow = func.coalesce(kept.c.workflow, actual.c.workflow)
        status = func.coalesce(kept.c.status, actual.c.status)
        kept_n, actual_n = func.coalesce(kept.c.n, 0), func.coalesce(actual.c.n, 0)
        same_status = (kept.c.workflow == actual.c.workflow) & (kept.c.status == actual.c.status)
        query = (
            select(workflow, status, kept_n, actual_n)
            .select_from(kept.join(actual, same_status, full=True))
            .where(kept_n != actual_n)
            .order_by(workflow, status)
        )
        return [(w, s, int(k), int(a)) for w, s, k, a in self.session.execute(query)]

    def hold_off_writers(self, lock_timeout: str) -> None:
        """Until commit, no ticket can be written (reads go on), so a rebuild cannot miss a change.

        Gives up after `lock_timeout` rather than queue writers behind a long transaction.
        """
        self.session.execute(select(func.set_config("lock_timeout", lock_timeout, True)))
        self.session.execute(text("LOCK TABLE tickets IN SHARE MODE"))

    def rebuild(self) -> None:
        self.session.execute(delete(ticket_counts))
        self.session.execute(
            insert(ticket_counts).from_select(
                ["workflow", "status", "tickets"],
                select(Ticket.workflow, Ticket.status, func.count()).group_by(Ticket.workflow, Ticket.status),
            )
        )
