from datetime import datetime
from typing import Any, Optional

from pydantic import BaseModel, Field

from iris.schemas.comments import CommentOut, comment_json
from iris.schemas.fields import Input, IsoDateTime, text
from iris.schemas.workflows import WorkflowName
from iris.timeparse import iso_utc

Title = text(200, required=True)
Assignee = text(100)
Description = text(20_000)

SERVER_SET = {"ticket_id": "is set by the server", "created": "is set by the server", "updated": "is set by the server"}


class TicketCreate(Input):
    REFUSED = {**SERVER_SET, "status": "a new ticket starts in its workflow's initial status"}

    title: Title
    assignee: Optional[Assignee] = None
    description: Optional[Description] = None
    due: Optional[IsoDateTime] = None
    workflow: WorkflowName = Field("default", description="the workflow the ticket follows")


class TicketPatch(Input):
    REFUSED = {
        **SERVER_SET,
        "status": "change the status with POST /tickets/{ticket_id}/transitions",
        "workflow": "a ticket's workflow cannot be changed",
    }

    title: Title = None  # may be left out, never null: the default only marks "unchanged"
    assignee: Optional[Assignee] = None
    description: Optional[Description] = None
    due: Optional[IsoDateTime] = None

    def changes(self) -> dict[str, Any]:
        """Only the fields the client sent; an explicit null clears a field."""
        return self.model_dump(exclude_unset=True)


class WorkflowState(BaseModel):
    name: str
    status: str


class TicketOut(BaseModel):
    """A ticket as the API returns it."""

    ticket_id: int = Field(ge=1)
    title: str
    assignee: Optional[str]
    description: Optional[str]
    created: datetime = Field(description="when the ticket was created (ISO 8601, UTC)")
    updated: datetime = Field(description="when the ticket last changed (ISO 8601, UTC)")
    due: Optional[datetime] = Field(description="ISO 8601, UTC")
    due_raw: Optional[str] = Field(description="a tutorial-era due text that could not be read as a date")
    workflow: WorkflowState


class TicketDetail(TicketOut):
    """A ticket with its most recent comments (oldest first) and how many it has in all."""

    comments: list[CommentOut]
    comment_count: int = Field(ge=0)


def ticket_json(ticket) -> dict[str, Any]:
    return {
        "ticket_id": ticket.ticket_id,
        "title": ticket.title,
        "assignee": ticket.assignee,
        "description": ticket.description,
        "created": iso_utc(ticket.created),
        "updated": iso_utc(ticket.updated),
        "due": iso_utc(ticket.due),
        "due_raw": ticket.due_raw,
        "workflow": {"name": ticket.workflow, "status": ticket.status},
    }


def ticket_detail_json(ticket, comments, comment_count: int) -> dict[str, Any]:
    return {**ticket_json(ticket), "comments": [comment_json(c) for c in comments], "comment_count": comment_count}
