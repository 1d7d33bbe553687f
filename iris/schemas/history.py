from datetime import datetime
from typing import Any, Optional
from uuid import UUID

from pydantic import BaseModel, Field

from iris.timeparse import iso_utc


class HistoryEntry(BaseModel):
    """One change to a ticket. Entries of one request share `changeset`."""

    entry_id: int
    ticket_id: int
    changeset: UUID
    at: datetime
    actor: str = Field(
        description="who made the change (the comment author, or `anonymous` until iris has authentication)"
    )
    action: str = Field(
        description="created, changed, transition, comment_added, comment_edited, comment_deleted or deleted"
    )
    field: Optional[str]
    old: Any = None
    new: Any = None


def history_json(entry) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id,
        "ticket_id": entry.ticket_id,
        "changeset": str(entry.changeset),
        "at": iso_utc(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "field": entry.field,
        "old": entry.old,
        "new": entry.new,
    }
