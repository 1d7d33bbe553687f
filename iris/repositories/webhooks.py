"""Webhooks, their deliveries and each delivery's attempts, as the admin API reads and changes them.

(The worker that makes and sends deliveries has its own queries.)
"""

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any, Optional, Sequence

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.orm import Session, aliased

from iris.models_notify import Webhook, WebhookAttempt, WebhookDelivery


class WebhookRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, *, url: str, secret_sealed: bytes, events: list[str], active: bool, created_by: str) -> Webhook:
        webhook = Webhook(url=url, secret_sealed=secret_sealed, events=events, active=active, created_by=created_by)
        self.session.add(webhook)
        self.session.flush()
        self.session.refresh(webhook)
        return webhook

    def get(self, webhook_id: int, *, for_update: bool = False) -> Optional[Webhook]:
        query = select(Webhook).where(Webhook.webhook_id == webhook_id)
        return self.session.scalars(query.with_for_update() if for_update else query).first()

    def page(self, *, after: Optional[int], limit: int) -> Sequence[Webhook]:
        query = select(Webhook).order_by(Webhook.webhook_id).limit(limit)
        if after is not None:
            query = query.where(Webhook.webhook_id > after)
        return self.session.scalars(query).all()

    def change(self, webhook: Webhook, changes: dict[str, Any]) -> Webhook:
        for name, value in changes.items():
            setattr(webhook, name, value)
        self.session.flush()
        return webhook

    def remove(self, webhook: Webhook) -> None:
        """The webhook, and with it its deliveries and their attempts (ON DELETE CASCADE)."""
        self.session.execute(delete(Webhook).where(Webhook.webhook_id == webhook.webhook_id))

    def deliveries(
        self,
        webhook_id: int,
        *,
        status: Optional[str],
        before: Optional[tuple[datetime, uuid.UUID]],
        limit: int,
    ) -> Sequence[WebhookDelivery]:
        """A webhook's deliveries, newest first (ties by id), from just older than `before`."""
        query = (
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.created.desc(), WebhookDelivery.delivery_id.desc())
            .limit(limit)
        )
        if status is not None:
            query = query.where(WebhookDelivery.status == status)
        if before is not None:
            query = query.where(tuple_(WebhookDelivery.created, WebhookDelivery.delivery_id) < tuple_(*before))
        return self.session.scalars(query).all()

    def delivery(self, webhook_id: int, delivery_id: uuid.UUID, *, for_update: bool = False):
        """One of this webhook's deliveries (another webhook's is none)."""
        query = select(WebhookDelivery).where(
            WebhookDelivery.delivery_id == delivery_id, WebhookDelivery.webhook_id == webhook_id
        )
        return self.session.scalars(query.with_for_update() if for_update else query).first()

    def attempts(self, delivery_ids: Sequence[uuid.UUID], *, newest: Optional[int] = None):
        """Each delivery's attempts, newest first (at most `newest` of each), in one query: {delivery_id: [...]}."""
        found: dict[uuid.UUID, list[WebhookAttempt]] = defaultdict(list)
        if not delivery_ids:
            return found
        rank = (
            func.row_number()
            .over(
                partition_by=WebhookAttempt.delivery_id,
                order_by=(WebhookAttempt.started.desc(), WebhookAttempt.attempt_id.desc()),
            )
            .label("rank")
        )
        ranked = select(WebhookAttempt, rank).where(WebhookAttempt.delivery_id.in_(delivery_ids)).subquery()
        attempt = aliased(WebhookAttempt, ranked)
        query = select(attempt).order_by(ranked.c.delivery_id, ranked.c.rank)
        if newest is not None:
            query = query.where(ranked.c.rank <= newest)
        for row in self.session.scalars(query):
            found[row.delivery_id].append(row)
        return found

    def redeliver(self, delivery: WebhookDelivery) -> WebhookDelivery:
        """Pending again, for a new round of up to IRIS_WEBHOOK_MAX_ATTEMPTS tries: `attempts` counts the round's
        tries, and the attempts so far stay in webhook_attempts."""
        delivery.status, delivery.finished, delivery.attempts = "pending", None, 0
        # Due at once, whatever the worker's clock says of this server's: its own creation time is past for both.
        delivery.due = delivery.created
        self.session.flush()
        return delivery
