"""Old inbox entries and finished webhook deliveries, removed a batch at a time (iris/services/retention.py)."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from iris.models_notify import Notification, WebhookDelivery


class RetentionRepository:
    def __init__(self, session: Session):
        self.session = session

    def drop_deliveries(self, finished_before: datetime, batch: int) -> int:
        """Up to `batch` deliveries finished (delivered or failed) before then, with their attempts (CASCADE).
        Pending ones stay, however old: they are still being tried."""
        oldest = (
            select(WebhookDelivery.delivery_id)
            .where(WebhookDelivery.status != "pending", WebhookDelivery.finished < finished_before)
            .limit(batch)
        )
        return self.session.execute(delete(WebhookDelivery).where(WebhookDelivery.delivery_id.in_(oldest))).rowcount

    def drop_notifications(self, created_before: datetime, batch: int) -> int:
        """Up to `batch` inbox entries older than that, read or not, unless an e-mail is still due to carry them."""
        oldest = (
            select(Notification.notification_id)
            .where(Notification.created < created_before, Notification.email_due.is_(False))
            .limit(batch)
        )
        return self.session.execute(delete(Notification).where(Notification.notification_id.in_(oldest))).rowcount
