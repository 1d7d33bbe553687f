"""Sending a webhook's deliveries: what is due, a batch at a time, each attempt recorded, retries scheduled.

The worker's job for a webhook (iris/jobs/handlers.py; one runs at a time per webhook) calls `send_due` while
batches come back full and its time lasts, then `come_back` queues it again for what is left or the next retry.
Deliveries go in the order they were made (`seq`); a delivery waiting for its retry holds back the later ones of
its ticket only, so each receiver gets a ticket's events in order while other tickets flow on. Tickets are sent
side by side, on at most WIDTH threads of the worker's `pool` a webhook, so one slow receiver cannot take them all.

No connection is held while receivers are called: the batch is read in one unit of work and its attempts written
in another. What sends (`send`, iris/outbound/client.py bound to the settings) and what opens the webhook's secret
(`open_secret`, the Sealer) are handed in, so this stays free of configuration.
"""

import logging
import time
from collections import Counter
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Mapping, Optional, Sequence

from iris.models_notify import Webhook, WebhookDelivery
from iris.outbound.client import REFUSED, Outcome
from iris.outbound.signing import delivery_headers
from iris.sealing import SealBroken
from iris.services.unit_of_work import UnitOfWork

# Says why iris turned a webhook off; `{}` becomes the time it began failing (ISO 8601, UTC).
TURNED_OFF = "turned off by iris: every delivery failed since {}"
BATCH = 100  # deliveries a batch takes at most
WIDTH = 4  # threads of the pool one webhook's batch uses at most (tickets side by side)
OFF = "not sent: the webhook is turned off"
INTERNAL = "internal error: "  # a send that failed in iris itself: retried like a receiver's error

log = logging.getLogger("iris.worker")


@dataclass(frozen=True)
class Policy:
    max_attempts: int
    disable_after: timedelta
    wait_s: Callable[[int, Optional[float]], float]  # (attempts before this one, Retry-After) -> seconds to the next


@dataclass(frozen=True)
class Tried:
    delivery: WebhookDelivery
    started: datetime
    outcome: Outcome


@dataclass(frozen=True)
class Sent:
    states: Counter = field(default_factory=Counter)  # delivered | retry | failed: how many of each
    full: bool = False  # the batch was as large as allowed: more may be due
    turned_off: bool = False


def send_due(
    units: Callable[[], UnitOfWork],
    webhook_id: int,
    policy: Policy,
    send: Callable[[str, bytes, Mapping[str, str]], Outcome],
    open_secret: Callable[[bytes], str],
    clock: Callable[[], datetime],
    pool: Optional[Executor] = None,
    limit: int = BATCH,
    ends: float = float("inf"),
) -> Sent:
    """One batch: up to `limit` of the webhook's due deliveries sent, or found not sendable, and recorded. No call
    starts after `ends` (time.monotonic()): what was not tried by then stays as it was, for the next batch."""
    with units().read_only() as uow:
        webhook = uow.delivery_log.webhook(webhook_id)
        due = uow.delivery_log.due(webhook_id, clock(), limit) if webhook is not None else []
    if not due:
        return Sent()
    tries = _try_all(_by_ticket(due), webhook, policy, Sender(send, clock, ends), open_secret, pool)
    if not tries:
        return Sent(full=True)  # out of time before the first call: more is due
    return _record(units, webhook, tries, policy, clock(), full=len(due) >= limit or len(tries) < len(due))


def come_back(
    units: Callable[[], UnitOfWork], webhook_id: int, now: datetime, not_before: Optional[datetime] = None
) -> Optional[datetime]:
    """Queues the webhook's job again for its next due delivery (a retry's time, or now), if it has one; not before
    `not_before` (after an error of iris's own: a pause rather than a loop)."""
    with units() as uow:
        at = uow.delivery_log.next_due(webhook_id)
        if at is not None:
            at = max(at, not_before) if not_before is not None else at
            uow.outbox.deliver(webhook_id, at if at > now else None)
        uow.commit()
    return at


def wake_idle(units: Callable[[], UnitOfWork], now: datetime) -> list[int]:
    """Queues a job for each webhook with something due and no job to send it: one that gave up on an error of its
    own (the database away), or deliveries queued before revision 0033. Returns those webhooks."""
    with units() as uow:
        idle = uow.delivery_log.idle_due(now)
        for webhook_id in idle:
            uow.outbox.deliver(webhook_id)
        uow.commit()
    return idle


def _by_ticket(due: Sequence[WebhookDelivery]) -> list[list[WebhookDelivery]]:
    tickets: dict[int, list[WebhookDelivery]] = {}
    for delivery in due:
        tickets.setdefault(delivery.ticket_id, []).append(delivery)
    return list(tickets.values())


@dataclass(frozen=True)
class Sender:
    """Sends one delivery; an error of iris's own becomes a retryable outcome, so that the batch's other attempts
    are still recorded, and this one counted (it cannot repeat for ever)."""

    send: Callable[[str, bytes, Mapping[str, str]], Outcome]
    clock: Callable[[], datetime]
    ends: float  # time.monotonic() after which no call starts

    def __call__(self, delivery: WebhookDelivery, url: str, secret: str) -> Tried:
        started = self.clock()
        body, stamp, delivery_id = delivery.body.encode(), int(started.timestamp()), str(delivery.delivery_id)
        try:
            headers = delivery_headers(secret, body, delivery_id=delivery_id, event=delivery.event, timestamp=stamp)
            outcome = self.send(url, body, headers)
        except Exception as exc:
            log.exception("delivery %s: could not be sent", delivery_id)
            outcome = Outcome(None, None, f"{INTERNAL}{type(exc).__name__}", 0)
        return Tried(delivery, started, outcome)


def _try_all(tickets, webhook: Webhook, policy: Policy, sender: Sender, open_secret, pool) -> list[Tried]:
    if not webhook.active:
        return [Tried(d, sender.clock(), Outcome(None, None, OFF, 0)) for queue in tickets for d in queue]
    try:
        secret = open_secret(webhook.secret_sealed)
    except SealBroken:  # no attempt can do better until an admin sets the secret again
        broken = Outcome(None, None, f"{REFUSED}its secret cannot be opened: IRIS_SECRET_KEY changed? Set it again", 0)
        return [Tried(d, sender.clock(), broken) for queue in tickets for d in queue]

    def lane(queues: list[list[WebhookDelivery]]) -> list[Tried]:
        """Some of the batch's tickets, one after the other, each ticket's deliveries in order."""
        tried: list[Tried] = []
        for queue in queues:
            for delivery in queue:
                if time.monotonic() >= sender.ends:
                    return tried  # out of time: the rest stays due, for the next batch
                tried.append(sender(delivery, webhook.url, secret))
                if _again(tried[-1].outcome, delivery.attempts + 1, policy):
                    break  # the ticket's later deliveries wait for this one's retry
        return tried

    lanes = [tickets[start::WIDTH] for start in range(min(WIDTH, len(tickets)))]
    done = pool.map(lane, lanes) if pool is not None and len(lanes) > 1 else map(lane, lanes)
    return sorted((t for tried in done for t in tried), key=lambda t: t.delivery.seq)


def _again(outcome: Outcome, attempts: int, policy: Policy) -> bool:
    return not outcome.delivered and outcome.retryable and attempts < policy.max_attempts


def _record(units, webhook: Webhook, tries: list[Tried], policy: Policy, now: datetime, full: bool) -> Sent:
    with units() as uow:
        pending = uow.delivery_log.still_pending([t.delivery.delivery_id for t in tries])
        tries = [t for t in tries if t.delivery.delivery_id in pending]
        if not tries:
            return Sent(full=full)
        uow.delivery_log.attempted([(t.delivery.delivery_id, t.started, t.outcome) for t in tries])
        turned_off = _health(uow, webhook, tries, policy, now)
        ends, states = [], Counter()
        for t in tries:
            attempts = pending[t.delivery.delivery_id] + 1
            state = _state(t.outcome, attempts, webhook.active and not turned_off, policy)
            wait = policy.wait_s(attempts - 1, t.outcome.retry_after_s) if state == "retry" else 0
            ends.append((t.delivery.delivery_id, _stored(state), None if state == "retry" else now,
                         now + timedelta(seconds=wait)))  # fmt: skip
            states[state] += 1
        uow.delivery_log.ended_tries(ends)
        uow.commit()
    return Sent(states, full, turned_off)


def _health(uow: UnitOfWork, webhook: Webhook, tries: list[Tried], policy: Policy, now: datetime) -> bool:
    """A batch with a delivery that went through shows a receiver alive; one with none, a receiver failing (turned
    off after `policy.disable_after` of that). Returns whether this turned the webhook off."""
    if not webhook.active:
        return False  # turned off already, by an admin or by iris: not a failure of the receiver's
    if any(t.outcome.delivered for t in tries):
        uow.delivery_log.webhook_succeeded(webhook.webhook_id)
        return False
    return uow.delivery_log.webhook_failed(webhook.webhook_id, now, now - policy.disable_after, TURNED_OFF)


def _state(outcome: Outcome, attempts: int, sending: bool, policy: Policy) -> str:
    if outcome.delivered:
        return "delivered"
    return "retry" if sending and _again(outcome, attempts, policy) else "failed"


def _stored(state: str) -> str:
    return "pending" if state == "retry" else state
