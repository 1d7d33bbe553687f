"""The worker's queries for sending webhook deliveries: a webhook's queue (what is due, in order), a record of each
attempt, and the webhook's health."""

import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Optional, Sequence

from sqlalchemy import and_, exists, func, insert, select, text, update
from sqlalchemy.orm import Session, aliased

from iris.jobs import tasks
from iris.models_notify import Webhook, WebhookAttempt, WebhookDelivery

if TYPE_CHECKING:  # httpx stays out of the web process, which never sends deliveries
    from iris.outbound.client import Outcome

# One statement for a whole batch's outcomes (psycopg2 would send an executemany as one statement a row).
_FINISH = text(
    "UPDATE webhook_deliveries d SET attempts = d.attempts + 1, status = v.status, finished = v.finished, due = v.due "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:statuses AS text[]), CAST(:finished AS timestamptz[]), "
    "CAST(:due AS timestamptz[])) AS v(delivery_id, status, finished, due) "
    "WHERE d.delivery_id = v.delivery_id"
)
# Each ticket's first pending delivery of each webhook (ix_webhook_deliveries_ticket_queue).
_HEADS = (
    "SELECT DISTINCT ON (webhook_id, ticket_id) webhook_id, due FROM webhook_deliveries "
    "WHERE status = 'pending' {where} ORDER BY webhook_id, ticket_id, seq"
)
_NEXT_DUE = text(f"SELECT min(due) FROM ({_HEADS.format(where='AND webhook_id = :webhook_id')}) heads")
_IDLE_DUE = text(
    f"SELECT DISTINCT heads.webhook_id FROM ({_HEADS.format(where='')}) heads WHERE heads.due <= :now "
    "AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.lock = :lock_prefix || heads.webhook_id "
    "AND j.status IN ('todo', 'doing')) ORDER BY 1"
)


class DeliveryLogRepository:
    def __init__(self, session: Session):
        self.session = session

    def webhook(self, webhook_id: int) -> Optional[Webhook]:
        return self.session.get(Webhook, webhook_id)

    def due(self, webhook_id: int, now: datetime, limit: int) -> Sequence[WebhookDelivery]:
        """The webhook's pending deliveries that may go now, in the order they were made: due, and behind no
        delivery of the same ticket that is not (one waiting for its retry holds back its ticket's later ones)."""
        mine = WebhookDelivery
        earlier = aliased(WebhookDelivery)
        held_back = exists().where(
            and_(
                earlier.webhook_id == mine.webhook_id,
                earlier.ticket_id == mine.ticket_id,
                earlier.status == "pending",
                earlier.seq <= mine.seq,
                earlier.due > now,
            )
        )
        query = (
            select(mine)
            .where(mine.webhook_id == webhook_id, mine.status == "pending", ~held_back)
            .order_by(mine.seq)
            .limit(limit)
        )
        return self.session.scalars(query).all()

    def next_due(self, webhook_id: int) -> Optional[datetime]:
        """When the webhook's next delivery may go (the earliest of its tickets' first pending ones), if any."""
        return self.session.scalar(_NEXT_DUE, {"webhook_id": webhook_id})

    def idle_due(self, now: datetime) -> list[int]:
        """Webhooks with a delivery that may go now and no job queued or running to send it."""
        params = {"now": now, "lock_prefix": tasks.WEBHOOK_LOCK}  # the lock tasks.webhook_lock gives
        return [row[0] for row in self.session.execute(_IDLE_DUE, params)]

    def still_pending(self, delivery_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """Those still pending, locked, with their attempts so far (the others were deleted with their webhook, or
        redelivered: a new round, recorded by whoever started it)."""
        query = (
            select(WebhookDelivery.delivery_id, WebhookDelivery.attempts)
            .where(WebhookDelivery.delivery_id.in_(delivery_ids), WebhookDelivery.status == "pending")
            .with_for_update()
        )
        return {row[0]: row[1] for row in self.session.execute(query)}

    def attempted(self, attempts: Sequence[tuple[uuid.UUID, datetime, "Outcome"]]) -> None:
        rows = [
            {"delivery_id": delivery_id, "started": started, "duration_ms": outcome.duration_ms,
             "status_code": outcome.status_code, "error": outcome.error}
            for delivery_id, started, outcome in attempts
        ]  # fmt: skip
        self.session.execute(insert(WebhookAttempt), rows)

    def ended_tries(self, rows: Sequence[tuple[uuid.UUID, str, Optional[datetime], datetime]]) -> None:
        """Each (delivery_id, status, finished, due) after one more attempt."""
        ids, statuses, finished, due = (list(column) for column in zip(*rows, strict=True))
        params = {"ids": [str(i) for i in ids], "statuses": statuses, "finished": finished, "due": due}
        self.session.execute(_FINISH, params)

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
