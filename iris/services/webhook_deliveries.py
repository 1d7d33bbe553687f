"""Webhook delivery use cases (admins only): what was sent to a webhook and how each attempt went, and sending a
delivery once more. The worker makes the deliveries and sends them (iris/jobs); this only reads them, and puts one
back in its queue."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Optional, Sequence

from iris.errors import Conflict, NotFound, RuleBroken
from iris.models_notify import WebhookAttempt, WebhookDelivery
from iris.services.unit_of_work import UnitOfWork
from iris.services.webhooks import existing_webhook

ATTEMPTS_LISTED = 20  # of each delivery in a list, the newest attempts shown
ATTEMPTS_SHOWN = 100  # of one delivery's attempts, the newest; redeliveries add rounds without end


@dataclass(frozen=True)
class Delivery:
    delivery: WebhookDelivery
    attempts: Sequence[WebhookAttempt]  # newest first


def list_deliveries(
    uow: UnitOfWork,
    webhook_id: int,
    *,
    status: Optional[str],
    before: Optional[tuple[datetime, uuid.UUID]],
    limit: int,
) -> tuple[list[Delivery], bool]:
    """A webhook's deliveries, newest first, from just older than `before` (the last of the previous page), each
    with its newest attempts, read in one query for the whole page."""
    uow.actor.require("admin")
    with uow.read_only():
        existing_webhook(uow, webhook_id)
        rows = uow.webhooks.deliveries(webhook_id, status=status, before=before, limit=limit + 1)
        page = rows[:limit]
        attempts = uow.webhooks.attempts([row.delivery_id for row in page], newest=ATTEMPTS_LISTED)
        return [Delivery(row, attempts.get(row.delivery_id, [])) for row in page], len(rows) > limit


def get_delivery(uow: UnitOfWork, webhook_id: int, delivery_id: uuid.UUID) -> Delivery:
    """One of the webhook's deliveries with every attempt; another webhook's delivery is not found."""
    uow.actor.require("admin")
    with uow.read_only():
        existing_webhook(uow, webhook_id)
        delivery = _existing(uow, webhook_id, delivery_id)
        return Delivery(delivery, uow.webhooks.attempts([delivery_id], newest=ATTEMPTS_SHOWN).get(delivery_id, []))


def redeliver(uow: UnitOfWork, webhook_id: int, delivery_id: uuid.UUID) -> Delivery:
    """Send a finished delivery (delivered or failed) again, with the same body: pending once more, due now, its
    attempts kept, and its webhook's job queued in the same transaction. One still pending is on its way already (a
    conflict: its webhook's job, or the worker's look for deliveries with none, sends it); a webhook that is turned
    off sends nothing, so it must be turned on first."""
    uow.actor.require("admin")
    with uow:
        webhook = existing_webhook(uow, webhook_id)
        delivery = _existing(uow, webhook_id, delivery_id, for_update=True)  # two at once: the second waits, sees 409
        if not webhook.active:
            raise RuleBroken({"webhook": f"webhook {webhook_id} is turned off; turn it on (active: true) first"})
        if delivery.status == "pending":
            raise Conflict({"status": f"delivery {delivery_id} is pending already: it will be sent without asking"})
        uow.webhooks.redeliver(delivery)
        uow.outbox.deliver(delivery.webhook_id)
        attempts = uow.webhooks.attempts([delivery_id], newest=ATTEMPTS_SHOWN).get(delivery_id, [])
        uow.commit()
        return Delivery(delivery, attempts)


def _existing(uow: UnitOfWork, webhook_id: int, delivery_id: uuid.UUID, *, for_update: bool = False):
    delivery = uow.webhooks.delivery(webhook_id, delivery_id, for_update=for_update)
    if delivery is None:
        raise NotFound("delivery", delivery_id)
    return delivery
