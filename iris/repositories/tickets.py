"""Tickets one at a time: add, read, lock, change and delete."""

import functools
from typing import Any, NamedTuple, Optional, Sequence

from sqlalchemy import Select, Text, any_, bindparam, delete, func, insert, select, true
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.orm import Session, aliased

from iris.models import Comment, Ticket, User, Workflow
from iris.models_notify import TicketWatcher


class WatcherName(NamedTuple):
    username: str
    display_name: Optional[str]


@functools.lru_cache(maxsize=8)
def _with_recent_comments(limit: int, watchers: bool = False) -> Select:
    # Built once: making the lateral subquery and its aliased entity cost more than running the statement.
    recent = (
        select(Comment, func.count().over().label("total"))
        .where(Comment.ticket_id == Ticket.ticket_id)
        .order_by(Comment.comment_id.desc())
        .limit(limit)
        .lateral("recent")
    )
    query = select(Ticket, aliased(Comment, recent), recent.c.total)
    if watchers:  # an aggregate: one row whatever their number, read once for the ticket, not once per comment
        watching = _watchers().lateral("watching")
        query = query.add_columns(watching.c.names).outerjoin_from(Ticket, watching, true())
    query = query.outerjoin_from(Ticket, recent, true()).where(Ticket.ticket_id == bindparam("ticket_id"))
    return query.order_by(recent.c.comment_id)


def _watchers() -> Select:
    """The ticket's watchers as one JSON array of [username, display_name], longest-standing first."""
    pair = func.json_build_array(User.username, User.display_name)
    return (
        select(func.json_agg(aggregate_order_by(pair, TicketWatcher.created, User.user_id)).label("names"))
        .join(User, User.user_id == TicketWatcher.user_id)
        .where(TicketWatcher.ticket_id == Ticket.ticket_id)
    )


@functools.lru_cache(maxsize=8)
def _open_statement(names: tuple[str, ...]) -> Select:
    # Built once per set of fields, with bound parameters: building it per call cost more than running it.
    columns = Ticket.__table__.c
    values = [bindparam(f"v_{name}", type_=columns[name].type).label(name) for name in names]
    source = select(*values, Workflow.name, Workflow.initial_status).where(Workflow.name == bindparam("workflow"))
    opened = insert(Ticket).from_select([*names, "workflow", "status"], source).returning(*columns).cte("opened")
    named = func.lower(User.username) == any_(bindparam("watchers", type_=ARRAY(Text)))
    watching = insert(TicketWatcher).from_select(
        ["ticket_id", "user_id"], select(opened.c.ticket_id, User.user_id).select_from(opened).join(User, named)
    )
    return select(aliased(Ticket, opened)).add_cte(watching.cte("watching"))


class TicketRepository:
    def __init__(self, session: Session):
        self.session = session

    def open(self, workflow: str, watchers: Sequence[str] = (), **fields: Any) -> Optional[Ticket]:
        """A new ticket in the initial status of `workflow`, with the users named in `watchers` (lower case)
        watching it, written and read back in one statement (INSERT ... SELECT the status from the workflow ...
        RETURNING, triggers' values included, and the watchers' INSERT beside it); None when there is no such
        workflow. One round trip, not two: each costs a create a wait for the database on a busy host."""
        statement = _open_statement(tuple(fields))
        params = {**{f"v_{name}": value for name, value in fields.items()}, "workflow": workflow}
        return self.session.scalars(statement, {**params, "watchers": list(watchers)}).one_or_none()

    def get(self, ticket_id: int) -> Optional[Ticket]:
        return self.session.get(Ticket, ticket_id)

    def with_recent_comments(self, ticket_id: int, limit: int) -> Optional[tuple[Ticket, list[Comment], int]]:
        """The ticket, its `limit` newest comments (oldest first) and its total of comments, in one statement:
        a lateral join, so the comments' index answers it whatever their number."""
        rows = self.session.execute(_with_recent_comments(limit), {"ticket_id": ticket_id}).all()
        if not rows:
            return None
        comments = [row[1] for row in rows if row[1] is not None]
        return rows[0][0], comments, rows[0][2] or 0

    def for_page(self, ticket_id: int, limit: int) -> Optional[tuple[Ticket, list[Comment], int, list[WatcherName]]]:
        """As `with_recent_comments`, and the ticket's watchers (longest-standing first), in the same statement."""
        rows = self.session.execute(_with_recent_comments(limit, watchers=True), {"ticket_id": ticket_id}).all()
        if not rows:
            return None
        comments = [row[1] for row in rows if row[1] is not None]
        return rows[0][0], comments, rows[0][2] or 0, [WatcherName(*pair) for pair in rows[0][3] or []]

    def get_for_update(self, ticket_id: int) -> Optional[Ticket]:
        """The ticket, row-locked until the transaction ends, so concurrent moves queue behind each other."""
        return self.session.scalars(select(Ticket).where(Ticket.ticket_id == ticket_id).with_for_update()).one_or_none()

    def lock_many(self, ticket_ids: list[int]) -> dict[int, Ticket]:
        """The tickets that exist among `ticket_ids`, row-locked in id order."""
        rows = self.session.scalars(
            select(Ticket).where(Ticket.ticket_id.in_(ticket_ids)).order_by(Ticket.ticket_id).with_for_update()
        )
        return {ticket.ticket_id: ticket for ticket in rows}

    def change(self, ticket: Ticket, changes: dict[str, Any]) -> Ticket:
        """Write `changes` to the ticket and read back what the database set (version and updated, by trigger)."""
        for name, value in changes.items():
            setattr(ticket, name, value)
        self.session.flush()
        self.session.refresh(ticket)
        return ticket

    def exists(self, ticket_id: int) -> bool:
        return self.session.scalar(select(Ticket.ticket_id).where(Ticket.ticket_id == ticket_id)) is not None

    def delete(self, ticket_id: int) -> bool:
        result = self.session.execute(delete(Ticket).where(Ticket.ticket_id == ticket_id))
        return result.rowcount == 1
