"""The inbox and notification preferences: what clients send and what they get back."""

from datetime import datetime
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field

from iris.models_notify import CHANNELS, EVENTS
from iris.schemas.fields import Input
from iris.timeparse import iso_utc

BIGINT_MAX = 2**63 - 1
Event = Literal[EVENTS]
Channel = Literal[CHANNELS]
NO_ADDRESS = "email: no address on file, so nothing is e-mailed until you set one (PATCH /users/{username})"


class Change(BaseModel):
    field: Optional[str]
    old: Any = None
    new: Any = None


class NotificationLinks(BaseModel):
    ticket: str = Field(description="the ticket (gone, if it was deleted)")
    history: str = Field(description="the ticket's journal; `entry_ids` are ids in it")


class NotificationOut(BaseModel):
    """One change set on one ticket, told to me."""

    notification_id: int = Field(ge=1)
    ticket_id: int = Field(ge=1)
    event: Event = Field(description="what happened, as my preferences name it")
    actor: str = Field(description="who made the change")
    title: str = Field(description="the ticket's title when it was told")
    changes: list[Change]
    created: datetime
    read: bool
    read_at: Optional[datetime] = Field(description="when it was first marked read; null while unread")
    entry_ids: list[int] = Field(description="the change set's entries in the ticket's history")
    links: NotificationLinks


class NotificationPatch(Input):
    read: bool = Field(description="true: mark read (when it first was is kept); false: mark unread")


class MarkRead(Input):
    up_to: int = Field(ge=1, le=BIGINT_MAX, description="a notification_id: mine up to it (included) are marked read")


class MarkedOut(BaseModel):
    marked: int = Field(ge=0, description="how many of my unread notifications were marked read")


class PreferencesIn(Input):
    """Replaces my preferences; duplicates are dropped and the order is the documented one."""

    events: list[Event] = Field(max_length=50, description="created, assigned, commented, moved, changed, deleted")
    channels: list[Channel] = Field(max_length=50, description="inbox, email")


class PreferencesOut(BaseModel):
    events: list[Event]
    channels: list[Channel]
    defaults: bool = Field(description="true: never chosen, these are the defaults")
    warnings: dict[str, str] = Field(description="what will not work as chosen, e.g. email without an address")


def notification_json(item) -> dict[str, Any]:
    return {
        "notification_id": item.notification_id,
        "ticket_id": item.ticket_id,
        "event": item.event,
        "actor": item.actor,
        "title": item.title,
        "changes": item.changes,
        "created": iso_utc(item.created),
        "read": item.read_at is not None,
        "read_at": iso_utc(item.read_at),
        "entry_ids": list(item.entry_ids),
        "links": {"ticket": f"/tickets/{item.ticket_id}", "history": f"/tickets/{item.ticket_id}/history"},
    }


def preferences_json(preferences) -> dict[str, Any]:
    return {
        "events": list(preferences.events),
        "channels": list(preferences.channels),
        "defaults": not preferences.chosen,
        "warnings": {"channels": NO_ADDRESS} if preferences.email_unreachable else {},
    }
