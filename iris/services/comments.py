"""Comment use cases: each runs in one unit of work, journaled there, and commits it when it succeeds."""

from typing import Optional, Sequence, Union

from iris.errors import NotFound, found
from iris.models import Comment
from iris.schemas import CommentCreate, CommentPatch
from iris.services.idempotency import Created, KeyUse, Replayed, create_once
from iris.services.preconditions import Precondition
from iris.services.rights import author_of, may_change_comment
from iris.services.unit_of_work import UnitOfWork


def comment_on(
    uow: UnitOfWork, ticket_id: int, data: CommentCreate, key: Optional[KeyUse] = None
) -> Union[Created[Comment], Replayed]:
    author = author_of(uow.actor, data.author if "author" in data.model_fields_set else None)

    def create() -> Comment:
        comment = found(uow.comments.add(ticket_id, data.body, author), "ticket", ticket_id)
        uow.journal.add(ticket_id, "comment_added", "comments", new=_shown(comment))
        return comment

    with uow:
        return create_once(uow, key, create)


def list_comments(
    uow: UnitOfWork, ticket_id: int, *, after: Optional[int], limit: int
) -> tuple[Sequence[Comment], bool]:
    with uow:
        if not uow.tickets.exists(ticket_id):
            raise NotFound("ticket", ticket_id)
        rows = uow.comments.page(ticket_id, after=after, limit=limit + 1)
        return rows[:limit], len(rows) > limit


def get_comment(uow: UnitOfWork, comment_id: int) -> Comment:
    with uow:
        return found(uow.comments.get(comment_id), "comment", comment_id)


def edit_comment(uow: UnitOfWork, comment_id: int, patch: CommentPatch, precondition: Precondition) -> Comment:
    with uow:
        comment = precondition.locked("comment", comment_id, uow.comments.get_for_update)
        may_change_comment(uow.actor, comment)
        old = _shown(comment)
        edited = uow.comments.edit(comment_id, patch.body)
        uow.journal.add(comment.ticket_id, "comment_edited", "comments", old=old, new=_shown(edited))
        uow.commit()
        return edited


def delete_comment(uow: UnitOfWork, comment_id: int, precondition: Precondition) -> None:
    with uow:
        comment = precondition.locked("comment", comment_id, uow.comments.get_for_update)
        may_change_comment(uow.actor, comment)
        uow.journal.add(comment.ticket_id, "comment_deleted", "comments", old=_shown(comment))
        uow.comments.delete(comment_id)
        uow.commit()


def _shown(comment: Comment) -> dict:
    """What the journal keeps of a comment."""
    return {"comment_id": comment.comment_id, "body": comment.body}
