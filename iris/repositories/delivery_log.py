"""The worker's queries for sending a webhook delivery: what to send, and a record of each attempt."""

import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Optional

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from iris.models_notify import Webhook, WebhookAttempt, WebhookDelivery

if TYPE_CHECKING:  # httpx stays out of the web process, which never sends deliveries
    from iris.outbound.client import Outcome


class DeliveryLogRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, delivery_id: uuid.UUID, lock: bool = False) -> Optional[tuple[WebhookDelivery, Webhook]]:
        query = select(WebhookDelivery, Webhook).join(Webhook).where(WebhookDelivery.delivery_id == delivery_id)
        if lock:
            query = query.with_for_update(of=WebhookDelivery)
        row = self.session.execute(query).first()
        return None if row is None else (row[0], row[1])

    def attempted(self, delivery_id: uuid.UUID, started: datetime, outcome: "Outcome") -> None:
        values = {"delivery_id": delivery_id, "started": started, "duration_ms": outcome.duration_ms}
        self.session.execute(
            insert(WebhookAttempt).values(**values, status_code=outcome.status_code, error=outcome.error)
        )
        self.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.delivery_id == delivery_id)
            .values(attempts=WebhookDelivery.attempts + 1)
        )

    def finish(self, delivery_id: uuid.UUID, status: str, at: Optional[datetime]) -> None:
        where = WebhookDelivery.delivery_id == delivery_id
        self.session.execute(update(WebhookDelivery).where(where).values(status=status, finished=at))

    def webhook_succeeded(self, webhook_id: int) -> None:
        where = (Webhook.webhook_id == webhook_id) & Webhook.failing_since.is_not(None)
        self.session.execute(update(Webhook).where(where).values(failing_since=None))

    def webhook_failed(self, webhook_id: int, now: datetime, failing_before: datetime, reason: str) -> bool:
        """Notes the failure; turns the webhook off if it has failed since before `failing_before` (then True), saying
        so in `disabled_reason` (`reason` with the time it began failing)."""
        where = Webhook.webhook_id == webhook_id
        failing = self.session.execute(
            update(Webhook)
            .where(where)
            .values(failing_since=func.coalesce(Webhook.failing_since, now))
            .returning(Webhook.failing_since, Webhook.active)
        ).one()
        if not (failing.active and failing.failing_since <= failing_before):
            return False
        since = failing.failing_since.astimezone(timezone.utc).isoformat()
        self.session.execute(update(Webhook).where(where).values(active=False, disabled_reason=reason.format(since)))
        return True
