"""Typed models of who hears about changes: watchers, the inbox and its preferences, webhooks and their deliveries.

Kept beside iris/models.py (same `Base`, so the same metadata); `iris.models` imports this module at its end so
that anything reading `Base.metadata` sees these tables too.
"""

import uuid
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from iris.models import Base

# What happened to a ticket in one change set, as notifications and webhooks name it (iris/services/events.py).
EVENTS = ("created", "assigned", "commented", "moved", "changed", "deleted")
CHANNELS = ("inbox", "email")
# What a user without a notification_preferences row hears about, and how: their watched tickets, in the inbox.
DEFAULT_EVENTS = ("assigned", "commented", "moved", "changed", "deleted")
DEFAULT_CHANNELS = ("inbox",)
DELIVERY_STATES = ("pending", "delivered", "failed")


def _within(column: str, allowed: tuple[str, ...]) -> str:
    return f"{column} <@ ARRAY[{', '.join(repr(a) for a in allowed)}]::text[]"


class TicketWatcher(Base):
    """A user who hears about a ticket's changes. The reporter and the assignee are added as they become so."""

    __tablename__ = "ticket_watchers"
    __table_args__ = (Index("ix_ticket_watchers_user_id", "user_id"),)

    # No foreign key: a deletion is told to the watchers after it commits; the worker drops them then.
    ticket_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.user_id"), primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class NotificationPreference(Base):
    """Which events a user hears about, and how. A user without a row has the defaults (iris/services/inbox.py)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        CheckConstraint(_within("events", EVENTS), name="events_known"),
        CheckConstraint(_within("channels", CHANNELS), name="channels_known"),
    )

    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.user_id"), primary_key=True)
    events: Mapped[list[str]] = mapped_column(ARRAY(Text))
    channels: Mapped[list[str]] = mapped_column(ARRAY(Text))
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class Notification(Base):
    """One change set on one ticket, told to one user. Written by the worker, once (the unique key)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "changeset", "ticket_id"),
        Index("ix_notifications_user_id_notification_id", "user_id", "notification_id"),
        Index(
            "ix_notifications_unread",
            "user_id",
            "notification_id",
            postgresql_where=text("read_at IS NULL"),
        ),
        Index("ix_notifications_email_due", "user_id", postgresql_where=text("email_due")),
    )

    notification_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.user_id"))
    ticket_id: Mapped[int] = mapped_column(Integer)  # no foreign key: a deletion is told too, and outlives it
    changeset: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    actor: Mapped[str] = mapped_column(Text)
    event: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)  # the ticket's title when it was told
    changes: Mapped[Any] = mapped_column(JSONB)  # [{"field", "old", "new"}] as the journal has them
    entry_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))  # its journal entries (ticket_history)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    read_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    email_due: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class Webhook(Base):
    """A receiver of ticket events. Its secret is kept sealed with a key derived from IRIS_SECRET_KEY."""

    __tablename__ = "webhooks"
    __table_args__ = (
        CheckConstraint(_within("events", EVENTS), name="events_known"),
        CheckConstraint("char_length(url) <= 2000", name="url_length"),
    )

    webhook_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    events: Mapped[list[str]] = mapped_column(ARRAY(Text))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    created_by: Mapped[str] = mapped_column(Text)
    failing_since: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))  # first failure in a row
    disabled_reason: Mapped[Optional[str]] = mapped_column(Text)  # set when iris turned it off itself


class WebhookDelivery(Base):
    """One change set on one ticket for one webhook: the exact body sent on every attempt, and how it went."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "changeset", "ticket_id"),
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in DELIVERY_STATES)})", name="status_known"),
        Index("ix_webhook_deliveries_webhook_id_created", "webhook_id", "created"),
        # The worker's queue (iris/services/deliveries.py): a webhook's pending deliveries in order, and each
        # ticket's first among them.
        Index("ix_webhook_deliveries_queue", "webhook_id", "seq", postgresql_where=text("status = 'pending'")),
        Index(
            "ix_webhook_deliveries_ticket_queue",
            "webhook_id",
            "ticket_id",
            "seq",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    delivery_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    webhook_id: Mapped[int] = mapped_column(Integer, ForeignKey("webhooks.webhook_id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(Integer)
    changeset: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    event: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)  # text, not jsonb: the signature covers these exact bytes
    status: Mapped[str] = mapped_column(Text, server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    finished: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    seq: Mapped[int] = mapped_column(BigInteger, Identity())  # the order deliveries were made in
    due: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))  # its next attempt


class WebhookAttempt(Base):
    """One try at a delivery: when, how long, and what came back (a status code, or why there was none)."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery_id", "delivery_id"),)

    attempt_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("webhook_deliveries.delivery_id", ondelete="CASCADE")
    )
    started: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    duration_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[Optional[int]] = mapped_column(Integer)
    error: Mapped[Optional[str]] = mapped_column(Text)
