from typing import Optional, Sequence

from sqlalchemy import Text, delete, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from iris.models import Comment, Ticket

TICKET_KEY = "fk_comments_ticket_id_tickets"


class CommentRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, ticket_id: int, body: str, author: str) -> Optional[Comment]:
        """The new comment, written and read back in one statement; None when there is no such ticket.

        The ticket's triggers bump its version (and take its row lock) in the same statement."""
        source = select(Ticket.ticket_id, literal(body, Text()), literal(author, Text())).where(
            Ticket.ticket_id == ticket_id
        )
        statement = insert(Comment).from_select(["ticket_id", "body", "author"], source).returning(Comment)
        try:
            return self.session.scalars(statement).one_or_none()
        except IntegrityError as error:
            # The ticket was deleted by a transaction that committed while this one waited on its row: gone,
            # as if the SELECT had found nothing (the transaction is rolled back by the caller's NotFound).
            if getattr(getattr(error.orig, "diag", None), "constraint_name", None) == TICKET_KEY:
                return None
            raise

    def get(self, comment_id: int) -> Optional[Comment]:
        return self.session.get(Comment, comment_id)

    def get_for_update(self, comment_id: int) -> Optional[Comment]:
        return self.session.scalars(
            select(Comment).where(Comment.comment_id == comment_id).with_for_update()
        ).one_or_none()

    def page(self, ticket_id: int, *, after: Optional[int], limit: int) -> Sequence[Comment]:
        """Oldest first, by id (ids grow with time), from after `after` (keyset paging)."""
        query = select(Comment).where(Comment.ticket_id == ticket_id).order_by(Comment.comment_id).limit(limit)
        if after is not None:
            query = query.where(Comment.comment_id > after)
        return self.session.scalars(query).all()

    def recent_with_total(self, ticket_id: int, limit: int) -> tuple[list[Comment], int]:
        """The `limit` newest comments, oldest first, and the ticket's total, in one query."""
        total = func.count().over().label("total")
        rows = self.session.execute(
            select(Comment, total)
            .where(Comment.ticket_id == ticket_id)
            .order_by(Comment.comment_id.desc())
            .limit(limit)
        ).all()
        return [row[0] for row in reversed(rows)], (rows[0][1] if rows else 0)

    def edit(self, comment_id: int, body: str) -> Optional[Comment]:
        return self.session.scalars(
            update(Comment)
            .where(Comment.comment_id == comment_id)
            .values(body=body, edited=func.now())
            .returning(Comment),
            execution_options={"synchronize_session": False, "populate_existing": True},
        ).one_or_none()

    def delete(self, comment_id: int) -> bool:
        return self.session.execute(delete(Comment).where(Comment.comment_id == comment_id)).rowcount == 1
