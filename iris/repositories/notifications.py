"""Each user's inbox (notifications) and what they choose to hear about (notification_preferences)."""

from typing import Optional, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from iris.models_notify import Notification, NotificationPreference


class NotificationRepository:
    def __init__(self, session: Session):
        self.session = session

    def page(
        self, user_id: int, *, unread: Optional[bool], before: Optional[int], limit: int
    ) -> Sequence[Notification]:
        """The user's notifications, newest first (by id: ids grow with time), from before `before` (keyset);
        `unread` True: only unread ones (the partial index ix_notifications_unread), False: only read ones."""
        query = (
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.notification_id.desc())
            .limit(limit)
        )
        if unread is not None:
            query = query.where(Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None))
        if before is not None:
            query = query.where(Notification.notification_id < before)
        return self.session.scalars(query).all()

    def unread_count(self, user_id: int) -> int:
        """Counted from the partial index of unread notifications alone."""
        query = select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        return self.session.scalar(query) or 0

    def set_read(self, user_id: int, notification_id: int, read: bool) -> Optional[Notification]:
        """Marks one of the user's notifications read (keeping when it first was) or unread; None if not theirs."""
        read_at = func.coalesce(Notification.read_at, func.now()) if read else None
        return self.session.scalars(
            update(Notification)
            .where(Notification.notification_id == notification_id, Notification.user_id == user_id)
            .values(read_at=read_at)
            .returning(Notification),
            execution_options={"synchronize_session": False, "populate_existing": True},
        ).one_or_none()

    def mark_read_up_to(self, user_id: int, up_to: int) -> int:
        """Marks the user's unread notifications with an id up to `up_to` read; how many there were."""
        statement = (
            update(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.notification_id <= up_to,
                Notification.read_at.is_(None),
            )
            .values(read_at=func.now())
            .execution_options(synchronize_session=False)
        )
        return self.session.execute(statement).rowcount

    def preferences(self, user_id: int) -> Optional[NotificationPreference]:
        return self.session.get(NotificationPreference, user_id)

    def set_preferences(self, user_id: int, events: Sequence[str], channels: Sequence[str]) -> NotificationPreference:
        values = {"events": list(events), "channels": list(channels), "updated": func.now()}
        statement = (
            insert(NotificationPreference)
            .values(user_id=user_id, **values)
            .on_conflict_do_update(index_elements=["user_id"], set_=values)
            .returning(NotificationPreference)
        )
        return self.session.scalars(statement, execution_options={"populate_existing": True}).one()
