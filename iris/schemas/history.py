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
        description="who made the change: the caller, or `anonymous` without a token when IRIS_AUTH=open"
    )
    action: str = Field(
        description="created, changed, transition, comment_added, comment_edited, comment_deleted or deleted"
    )
    field: Optional[str]
    old: Any = None
    new: Any = None
    truncated: bool = Field(
        False, description="only in a list's embedded history: a text was cut; the ticket's history has it all"
    )


EMBEDDED_TEXT = 500  # characters of a text value an embedded entry shows


def embedded_history_json(entry) -> dict[str, Any]:
    """An entry as a list embeds it: text values past EMBEDDED_TEXT characters are cut, and the entry
    says so (a description edit keeps both texts, up to 20,000 characters each)."""
    shown = history_json(entry)
    cut = False
    for side in ("old", "new"):
        shown[side], cut_here = _cut(shown[side])
        cut = cut or cut_here
    return {**shown, "truncated": True} if cut else shown


def _cut(value: Any) -> tuple[Any, bool]:
    if isinstance(value, str) and len(value) > EMBEDDED_TEXT:
        return value[:EMBEDDED_TEXT] + "…", True
    if isinstance(value, dict):
        pairs = {key: _cut(item) for key, item in value.items()}
        return {key: item for key, (item, _) in pairs.items()}, any(cut for _, cut in pairs.values())
    return value, False


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
