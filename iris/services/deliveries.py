"""Sending one webhook delivery: one attempt, recorded, and what the worker should do next.

No connection is held while the receiver is called: the delivery is read in one unit of work and the attempt
written in another. What sends it (`send`, iris/outbound/client.py bound to the settings) and what opens its
webhook's secret (`open_secret`, the Sealer) are handed in, so this stays free of configuration.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Mapping, Optional

from iris.outbound.client import REFUSED, Outcome
from iris.outbound.signing import delivery_headers
from iris.sealing import SealBroken
from iris.services.unit_of_work import UnitOfWork

# Says why iris turned a webhook off; `{}` becomes the time it began failing (ISO 8601, UTC).
TURNED_OFF = "turned off by iris: every delivery failed since {}"


@dataclass(frozen=True)
class Policy:
    max_attempts: int
    disable_after: timedelta


@dataclass(frozen=True)
class Attempted:
    state: str  # delivered | retry | failed | skipped (nothing to send: gone, or no longer pending)
    retry_after_s: Optional[float] = None
    turned_off: bool = False


def deliver(
    units: Callable[[], UnitOfWork],
    delivery_id: uuid.UUID,
    policy: Policy,
    send: Callable[[str, bytes, Mapping[str, str]], Outcome],
    open_secret: Callable[[bytes], str],
    clock: Callable[[], datetime],
) -> Attempted:
    with units().read_only() as uow:
        found = uow.delivery_log.get(delivery_id)
    if found is None or found[0].status != "pending":
        return Attempted("skipped")
    delivery, webhook = found
    started = clock()
    if not webhook.active:
        outcome = Outcome(None, None, "not sent: the webhook is turned off", 0)
    else:
        outcome = _send(delivery, webhook, send, open_secret, started)
    return _record(units, delivery_id, started, outcome, policy, clock())


def _send(delivery, webhook, send, open_secret, started: datetime) -> Outcome:
    try:
        secret = open_secret(webhook.secret_sealed)
    except SealBroken:  # no attempt can do better until an admin sets the secret again
        return Outcome(None, None, f"{REFUSED}its secret cannot be opened: IRIS_SECRET_KEY changed? Set it again", 0)
    body, stamp, delivery_id = delivery.body.encode(), int(started.timestamp()), str(delivery.delivery_id)
    headers = delivery_headers(secret, body, delivery_id=delivery_id, event=delivery.event, timestamp=stamp)
    return send(webhook.url, body, headers)


def _record(units, delivery_id: uuid.UUID, started: datetime, outcome: Outcome, policy: Policy, now) -> Attempted:
    with units() as uow:
        found = uow.delivery_log.get(delivery_id, lock=True)
        if found is None or found[0].status != "pending":
            return Attempted("skipped")  # deleted with its webhook, or finished by another worker meanwhile
        delivery, webhook = found
        attempts = delivery.attempts + 1  # read before the update below refreshes the row
        uow.delivery_log.attempted(delivery_id, started, outcome)
        turned_off = False
        if outcome.delivered:
            state = "delivered"
            uow.delivery_log.webhook_succeeded(webhook.webhook_id)
        elif not webhook.active:
            state = "failed"  # turned off, by an admin or by iris: not a failure of the receiver's
        else:
            turned_off = uow.delivery_log.webhook_failed(
                webhook.webhook_id, now, now - policy.disable_after, TURNED_OFF
            )
            again = outcome.retryable and not turned_off and attempts < policy.max_attempts
            state = "retry" if again else "failed"
        if state != "retry":
            uow.delivery_log.finish(delivery_id, state, now)
        uow.commit()
    return Attempted(state, outcome.retry_after_s if state == "retry" else None, turned_off)
