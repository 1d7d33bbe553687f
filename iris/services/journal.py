"""The ticket journal: the entries a use case collects in its unit of work, written when it commits."""

import uuid
from datetime import datetime
from typing import Any, Optional

from iris.models import Ticket

TRACKED = ("title", "assignee", "description", "due", "due_raw", "workflow", "status", "reporter")


def plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def snapshot(ticket: Ticket) -> dict[str, Any]:
    return {"ticket_id": ticket.ticket_id, **{name: plain(getattr(ticket, name)) for name in TRACKED}}


class Changeset:
    """The entries of one use case, all with one change-set id; the unit of work writes them when it commits."""

    def __init__(self, actor: str):
        self.id = uuid.uuid4()
        self.actor = actor
        self.entries: list[dict[str, Any]] = []

    def add(
        self,
        ticket_id: int,
        action: str,
        field: Optional[str] = None,
        old: Any = None,
        new: Any = None,
    ) -> None:
        self.entries.append(
            {
                "ticket_id": ticket_id,
                "changeset": self.id,
                "actor": self.actor,
                "action": action,
                "field": field,
                "old": plain(old),
                "new": plain(new),
            }
        )

    def changed(self, ticket_id: int, before: dict[str, Any], after: dict[str, Any]) -> None:
        for name in TRACKED:
            if name in after and plain(before.get(name)) != plain(after[name]):
                self.add(
                    ticket_id, "transition" if name == "status" else "changed", name, before.get(name), after[name]
                )
