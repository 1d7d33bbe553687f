"""Notification rows for tests, written as the worker writes them (it is another part's job to make them)."""

import uuid
from typing import Any, Optional

from sqlalchemy import func, insert, select

from iris.models import User
from iris.models_notify import Notification


def add_notification(engine, username: str, ticket_id: int, *, read: bool = False, **fields: Any) -> int:
    """A notification of `username`'s about `ticket_id`; its id."""
    row = {
        "changeset": uuid.uuid4(),
        "actor": "someone",
        "event": "changed",
        "title": f"ticket {ticket_id}",
        "changes": [{"field": "title", "old": "before", "new": "after"}],
        "entry_ids": [1, 2],
        **fields,
    }
    with engine.begin() as conn:
        user_id = conn.scalar(select(User.user_id).where(User.username == username))
        statement = insert(Notification).values(user_id=user_id, ticket_id=ticket_id, **row)
        if read:
            statement = statement.values(read_at=func.now())
        return conn.scalar(statement.returning(Notification.notification_id))


def read_at(engine, notification_id: int) -> Optional[Any]:
    with engine.connect() as conn:
        return conn.scalar(select(Notification.read_at).where(Notification.notification_id == notification_id))
