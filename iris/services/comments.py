from typing import Optional, Sequence

from sqlalchemy.orm import Session

from iris.errors import NotFound
from iris.models import Comment
from iris.repositories.comments import CommentRepository
from iris.repositories.tickets import TicketRepository
from iris.schemas import CommentCreate, CommentPatch


def comment_on(session: Session, ticket_id: int, data: CommentCreate) -> Comment:
    if not TicketRepository(session).exists(ticket_id):
        raise NotFound("ticket", ticket_id)
    comment = CommentRepository(session).add(ticket_id, data.body, data.author)
    session.commit()
    return comment


def list_comments(session: Session, ticket_id: int, *, after: Optional[int], limit: int) -> tuple[Sequence[Comment], bool]:
    if not TicketRepository(session).exists(ticket_id):
        raise NotFound("ticket", ticket_id)
    rows = CommentRepository(session).page(ticket_id, after=after, limit=limit + 1)
    return rows[:limit], len(rows) > limit


def get_comment(session: Session, comment_id: int) -> Comment:
    comment = CommentRepository(session).get(comment_id)
    if comment is None:
        raise NotFound("comment", comment_id)
    return comment


def edit_comment(session: Session, comment_id: int, patch: CommentPatch) -> Comment:
    comment = CommentRepository(session).edit(comment_id, patch.body)
    if comment is None:
        raise NotFound("comment", comment_id)
    session.commit()
    return comment


def delete_comment(session: Session, comment_id: int) -> None:
    if not CommentRepository(session).delete(comment_id):
        raise NotFound("comment", comment_id)
    session.commit()
