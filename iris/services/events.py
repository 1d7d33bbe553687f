"""What one change set did to one ticket, in the words notifications and webhooks use (models_notify.EVENTS).

A change set may do several things at once (a PUT that renames, re-assigns and moves): `kinds` holds them all, and
`primary` names it by the one that matters most, in the order of PRIORITY.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Optional, Sequence

PRIORITY = ("created", "deleted", "moved", "commented", "assigned", "changed")

_BY_ACTION = {
    "created": "created",
    "deleted": "deleted",
    "transition": "moved",
    "comment_added": "commented",
    "comment_edited": "commented",
    "comment_deleted": "commented",
}


@dataclass(frozen=True)
class TicketEvent:
    ticket_id: int
    changeset: str
    actor: str
    kinds: frozenset[str]
    assigned_to: Optional[str]  # whom the change set made the assignee, if it did
    entry_ids: tuple[int, ...]
    changes: tuple[dict[str, Any], ...]  # [{"action", "field", "old", "new"}] as the journal has them
    at: datetime  # when it was committed (the transaction's time)

    @property
    def primary(self) -> str:
        return first_of(self.kinds)

    def kinds_for(self, username: str) -> frozenset[str]:
        """As one person sees it: an assignment is `assigned` only to the new assignee, a change to everyone else."""
        if "assigned" not in self.kinds or (self.assigned_to or "").lower() == username.lower():
            return self.kinds
        return (self.kinds - {"assigned"}) | {"changed"}


def first_of(kinds: Iterable[str]) -> str:
    found = set(kinds)
    return next(kind for kind in PRIORITY if kind in found)


def _kind(entry) -> str:
    if entry.action == "changed" and entry.field == "assignee":
        return "assigned"
    return _BY_ACTION.get(entry.action, "changed")


def _assigned_to(entries: Sequence) -> Optional[str]:
    for entry in entries:
        if entry.action == "created" and isinstance(entry.new, dict) and entry.new.get("assignee"):
            return entry.new["assignee"]
        if entry.action == "changed" and entry.field == "assignee" and entry.new:
            return entry.new
    return None


def of_entries(entries: Sequence) -> Optional[TicketEvent]:
    """The event of one ticket's journal entries of one change set (TicketHistory rows, in order); None if none."""
    if not entries:
        return None
    kinds = {_kind(entry) for entry in entries}
    assigned_to = _assigned_to(entries)
    if assigned_to and "created" in kinds:
        kinds.add("assigned")  # a ticket made with an assignee is assigned to them too
    first = entries[0]
    return TicketEvent(
        ticket_id=first.ticket_id,
        changeset=str(first.changeset),
        actor=first.actor,
        kinds=frozenset(kinds),
        assigned_to=assigned_to,
        entry_ids=tuple(entry.entry_id for entry in entries),
        changes=tuple({"action": e.action, "field": e.field, "old": e.old, "new": e.new} for e in entries),
        at=first.at,
    )
