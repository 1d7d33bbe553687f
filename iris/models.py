"""Typed SQLAlchemy 2.x models: the schema at Alembic `head`."""

import uuid
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSON, JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint and index names, so that later revisions can drop them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# A username: what the API, the journal and `assignee` name a user by.
USERNAME_PATTERN = "^[A-Za-z0-9._-]{1,64}$"
ROLES = ("reporter", "agent", "admin")


class User(Base):
    """Someone who may act in iris. Never deleted: deactivated instead, so history stays attributable."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"username ~ '{USERNAME_PATTERN}'", name="username_format"),
        CheckConstraint("role IN ('reporter', 'agent', 'admin')", name="role_known"),
        # Unique whatever the case: `Ann` and `ann` are one person to the people who type them.
        Index("ix_users_username_lower", text("lower(username)"), unique=True),
        Index("ix_users_email_lower", text("lower(email)"), unique=True),
    )

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(Text, unique=True)  # the target of tickets.assignee and reporter
    email: Mapped[Optional[str]] = mapped_column(Text)
    display_name: Mapped[Optional[str]] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text, server_default=text("'reporter'"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    # The free-text assignee revision 0020 made this account from, when it could not be a username as it was.
    imported_as: Mapped[Optional[str]] = mapped_column(Text)
    # Argon2id, as a PHC string (iris/services/passwords.py); None: no password, so no signing in to the web page.
    password_hash: Mapped[Optional[str]] = mapped_column(Text, deferred=True)


class ApiToken(Base):
    """A personal API token. Only the SHA-256 of its secret is kept: a leaked backup yields no usable token."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_id", "user_id"),)

    token_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id"))
    name: Mapped[str] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(Text)  # the secret's first characters, to tell tokens apart
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    last_used: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    expires: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A signed-in browser. Only the SHA-256 of its cookie's secret is kept; deleting the row signs it out."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_user_id", "user_id"),)

    session_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id"))
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    expires: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the absolute end, whatever the use


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        ForeignKeyConstraint(["assignee"], ["users.username"], name="fk_tickets_assignee_users", onupdate="CASCADE"),
        ForeignKeyConstraint(
            ["workflow", "status"],
            ["workflow_statuses.workflow", "workflow_statuses.name"],
            name="fk_tickets_workflow_status_workflow_statuses",
            onupdate="CASCADE",
        ),
        Index("ix_tickets_status_workflow", "status", "workflow"),
        Index("ix_tickets_search", "search", postgresql_using="gin"),
        # One per sort order of GET /tickets, ending in the tie-breaker (revision 0013).
        Index("ix_tickets_created_ticket_id", "created", "ticket_id"),
        Index("ix_tickets_updated_ticket_id", "updated", "ticket_id"),
        Index("ix_tickets_due_sort", text("COALESCE(due, 'infinity'::timestamptz)"), "ticket_id"),
        Index("ix_tickets_title_ticket_id", "title", "ticket_id"),
        Index("ix_tickets_status_ticket_id", "status", "ticket_id"),
        Index("ix_tickets_assignee_sort", text("COALESCE(assignee, '')"), "ticket_id"),
        Index("ix_tickets_assignee_ticket_id", "assignee", "ticket_id"),
        # For index-only exact totals of common filters (revision 0017).
        Index("ix_tickets_assignee_status", "assignee", "status"),
        Index("ix_tickets_due", "due", postgresql_where=text("due IS NOT NULL")),
        Index("ix_tickets_reporter_ticket_id", "reporter", "ticket_id"),
    )

    ticket_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    assignee: Mapped[Optional[str]] = mapped_column(Text)
    description: Mapped[Optional[str]] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    due: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    # A tutorial-era `due` text that no documented format could parse, kept verbatim.
    due_raw: Mapped[Optional[str]] = mapped_column(Text)
    # Kept current by the trigger `tickets_touch_updated` on every UPDATE, whoever writes.
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    # Raw SQL inserts (the tutorial's way) land on the default workflow's initial status.
    workflow: Mapped[str] = mapped_column(Text, server_default=text("'default'"))
    status: Mapped[str] = mapped_column(Text, server_default=text("'Open'"))
    # Title, description and comments for full-text search; triggers keep it current (revision 0012).
    search: Mapped[Optional[str]] = mapped_column(TSVECTOR, deferred=True)
    # Grows by one with every change, its comments' included (triggers of revision 0014); the ETag.
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    # Who created it; tickets from before iris knew its users have none.
    reporter: Mapped[Optional[str]] = mapped_column(ForeignKey("users.username", onupdate="CASCADE"))


# What a ticket shows: lists select these columns as plain rows, not ORM objects (a page of 500
# spent more on building ORM objects than on its query); the JSON reads them by name.
TICKET_FIELDS = (
    "ticket_id",
    "title",
    "assignee",
    "description",
    "created",
    "updated",
    "due",
    "due_raw",
    "workflow",
    "status",
    "version",
    "reporter",
)


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint("char_length(body) BETWEEN 1 AND 10000", name="body_length"),
        Index("ix_comments_ticket_id_comment_id", "ticket_id", "comment_id"),
    )

    comment_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.ticket_id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(Text, server_default=text("'anonymous'"))
    body: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    edited: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class Workflow(Base):
    __tablename__ = "workflows"
    __table_args__ = (
        # Deferred, because a workflow and its statuses are written in one transaction, in either order.
        ForeignKeyConstraint(
            ["name", "initial_status"],
            ["workflow_statuses.workflow", "workflow_statuses.name"],
            name="fk_workflows_initial_status_workflow_statuses",
            deferrable=True,
            initially="DEFERRED",
            use_alter=True,
        ),
    )

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    initial_status: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class WorkflowStatus(Base):
    __tablename__ = "workflow_statuses"

    workflow: Mapped[str] = mapped_column(
        ForeignKey("workflows.name", ondelete="CASCADE", deferrable=True, initially="DEFERRED"), primary_key=True
    )
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    is_closed: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    position: Mapped[int] = mapped_column(Integer)


class WorkflowTransition(Base):
    __tablename__ = "workflow_transitions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workflow", "from_status"],
            ["workflow_statuses.workflow", "workflow_statuses.name"],
            name="fk_workflow_transitions_from_status_workflow_statuses",
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["workflow", "to_status"],
            ["workflow_statuses.workflow", "workflow_statuses.name"],
            name="fk_workflow_transitions_to_status_workflow_statuses",
            ondelete="CASCADE",
        ),
        UniqueConstraint("workflow", "from_status", "name"),
    )

    workflow: Mapped[str] = mapped_column(Text, primary_key=True)
    from_status: Mapped[str] = mapped_column(Text, primary_key=True)
    to_status: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)


class TicketHistory(Base):
    """One journal entry: a field changed, a transition, a comment event, a creation or a deletion."""

    __tablename__ = "ticket_history"
    __table_args__ = (
        Index("ix_ticket_history_ticket_id_entry_id", "ticket_id", "entry_id"),
        Index("ix_ticket_history_untold", "entry_id", postgresql_where=text("NOT told")),
    )

    entry_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(Integer)  # no foreign key: history outlives the ticket
    changeset: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    field: Mapped[Optional[str]] = mapped_column(Text)
    old: Mapped[Optional[Any]] = mapped_column(JSONB)
    new: Mapped[Optional[Any]] = mapped_column(JSONB)
    # The journal is the transactional outbox: the worker tells watchers and webhooks, then marks the entry told.
    told: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class IdempotencyKey(Base):
    """The first answer to a create sent with an Idempotency-Key, replayed to its retries."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created", "created"),)

    scope: Mapped[str] = mapped_column(Text, primary_key=True)  # whose key: the username of who sent it
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[Any] = mapped_column(JSON)  # json, not jsonb: a replay keeps the first answer's key order
    location: Mapped[Optional[str]] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


# How many tickets are in each (workflow, status): a few rows whose sum is the exact number of
# tickets. Only the triggers of revision 0018 write it, and a status may appear in several rows
# (each writer folds what it can without waiting), so read it with sum(). It has no primary key
# because no row is ever addressed on its own.
ticket_counts = Table(
    "ticket_counts",
    Base.metadata,
    Column("workflow", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("tickets", BigInteger, nullable=False),
)
import iris.models_notify  # noqa: E402,F401  (its tables join Base.metadata; it imports Base from here)
