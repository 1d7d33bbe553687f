from datetime import datetime
from typing import Any, Optional

from pydantic import BaseModel, Field

from iris.schemas.fields import Input, text
from iris.timeparse import iso_utc

COMMENT_MAX = 10_000
CommentBody = text(COMMENT_MAX, required=True)
Author = text(100, required=True)


class CommentCreate(Input):
    REFUSED = {
        "comment_id": "is set by the server",
        "ticket_id": "is taken from the URL",
        "created": "is set by the server",
    }

    body: CommentBody
    author: Author = Field("anonymous", description="who wrote it")


class CommentPatch(Input):
    REFUSED = {"author": "a comment's author cannot be changed", "edited": "is set by the server"}

    body: CommentBody
    version: int = Field(None, ge=1, le=2_147_483_647, description="the version you read: an alternative to If-Match")


class CommentOut(BaseModel):
    comment_id: int = Field(ge=1)
    ticket_id: int = Field(ge=1)
    author: str
    body: str
    created: datetime
    edited: Optional[datetime] = Field(description="when the body was last changed, if ever")
    version: int = Field(ge=1, description="grows with every edit; the ETag is this number in quotes")


def comment_json(comment) -> dict[str, Any]:
    return {
        "comment_id": comment.comment_id,
        "ticket_id": comment.ticket_id,
        "author": comment.author,
        "body": comment.body,
        "created": iso_utc(comment.created),
        "edited": iso_utc(comment.edited),
        "version": comment.version,
    }
