"""Typed SQLAlchemy 2.x models: the schema at Alembic `head`."""

from datetime import datetime
from typing import Optional

from sqlalchemy import DateTime, Integer, MetaData, Text, text
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


class Ticket(Base):
    __tablename__ = "tickets"

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
