from datetime import datetime
from typing import Any, Optional

from pydantic import BaseModel, Field

from iris.schemas.comments import CommentOut, comment_json
from iris.schemas.fields import Input, IsoDateTime, Username, text
from iris.schemas.workflows import WorkflowName
from iris.timeparse import iso_utc

Title = text(200, required=True)
Assignee = Username
Description = text(20_000)

SERVER_SET = dict.fromkeys(("ticket_id", "created", "updated", "reporter"), "is set by the server")


class TicketCreate(Input):
    REFUSED = {**SERVER_SET, "status": "a new ticket starts in its workflow's initial status"}

    title: Title
    assignee: Optional[Assignee] = None
    description: Optional[Description] = None
    due: Optional[IsoDateTime] = None
    workflow: WorkflowName = Field("default", description="the workflow the ticket follows")


VERSION_FIELD = Field(None, ge=1, le=2_147_483_647, description="the version you read: an alternative to If-Match")


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
    version: int = VERSION_FIELD

    def changes(self) -> dict[str, Any]:
        """Only the fields the client sent; an explicit null clears a field."""
        return self.model_dump(exclude_unset=True, exclude={"version"})


class TicketReplace(Input):
    """PUT /tickets/{id}: the whole editable ticket; a field left out becomes null."""

    REFUSED = TicketPatch.REFUSED

    title: Title
    assignee: Optional[Assignee] = None
    description: Optional[Description] = None
    due: Optional[IsoDateTime] = None
    version: int = VERSION_FIELD

    def fields(self) -> dict[str, Any]:
        return self.model_dump(exclude={"version"})


class BulkItem(Input):
    ticket_id: int = Field(ge=1, le=2_147_483_647)
    version: int = Field(ge=1, le=2_147_483_647, description="the version the change was decided on")
    changes: TicketPatch


class BulkPatch(Input):
    """PATCH /tickets: up to 100 changes, applied all together or not at all."""

    items: list[BulkItem] = Field(min_length=1, max_length=100)


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
    version: int = Field(ge=1, description="grows with every change; the ETag is this number in quotes")
    reporter: Optional[str] = Field(description="who created it; none for tickets from before iris knew its users")


class TicketDetail(TicketOut):
    """A ticket with its most recent comments (oldest first) and how many it has in all."""

    comments: list[CommentOut]
    comment_count: int = Field(ge=0)


def ticket_json(ticket) -> dict[str, Any]:
    """A ticket: an ORM object, or a listed row with the same names."""
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
        "version": ticket.version,
        "reporter": ticket.reporter,
    }


def ticket_detail_json(detail) -> dict[str, Any]:
    """A ticket with its recent comments (`TicketWithComments`)."""
    comments = [comment_json(c) for c in detail.comments]
    return {**ticket_json(detail.ticket), "comments": comments, "comment_count": detail.comment_count}
