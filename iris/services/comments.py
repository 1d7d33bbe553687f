from typing import Optional, Sequence

from sqlalchemy.orm import Session

from iris.errors import NotFound, VersionMismatch
from iris.models import Comment
from iris.repositories.comments import CommentRepository
from iris.repositories.tickets import TicketRepository
from iris.schemas import CommentCreate, CommentPatch, comment_json
from iris.services.idempotency import Created, KeyUse, create_once
from iris.services.journal import Changeset


def comment_on(session: Session, ticket_id: int, data: CommentCreate, key: Optional[KeyUse] = None) -> Created:
    def create() -> Created:
        if TicketRepository(session).get_for_update(ticket_id) is None:
            raise NotFound("ticket", ticket_id)
        comment = CommentRepository(session).add(ticket_id, data.body, data.author)
        journal = Changeset(data.author)
        journal.add(ticket_id, "comment_added", "comments", new={"comment_id": comment.comment_id, "body": comment.body})
        journal.save(session)
        return Created(201, comment_json(comment), f"/comments/{comment.comment_id}")

    return create_once(session, key, create)


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


def _locked(session: Session, comment_id: int, expected_version: Optional[int]) -> Comment:
    comment = CommentRepository(session).get_for_update(comment_id)
    if comment is None:
        raise NotFound("comment", comment_id)
    VersionMismatch.check("comment", comment_id, comment.version, expected_version)
    return comment


def edit_comment(session: Session, comment_id: int, patch: CommentPatch, expected_version: Optional[int]) -> Comment:
    comment = _locked(session, comment_id, expected_version)
    old = comment.body
    edited = CommentRepository(session).edit(comment_id, patch.body)
    journal = Changeset(comment.author)
    journal.add(comment.ticket_id, "comment_edited", "comments", old={"comment_id": comment_id, "body": old}, new={"comment_id": comment_id, "body": edited.body})
    journal.save(session)
    session.commit()
    return edited


def delete_comment(session: Session, comment_id: int, expected_version: Optional[int]) -> None:
    comment = _locked(session, comment_id, expected_version)
    journal = Changeset(comment.author)
    journal.add(comment.ticket_id, "comment_deleted", "comments", old={"comment_id": comment_id, "body": comment.body})
    journal.save(session)
    CommentRepository(session).delete(comment_id)
    session.commit()
