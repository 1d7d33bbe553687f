"""The worker's jobs: what each does (a service call) and how it is retried. Registered on the worker's App only.

Each job is plain synchronous code (procrastinate runs it in a thread) over iris's own SQLAlchemy engine.
"""

import logging
import random
import time
import uuid
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional

from procrastinate import App, BaseRetryStrategy, RetryDecision
from procrastinate.jobs import Job

from iris.jobs import metrics, tasks
from iris.services import deliveries, fanout, mail, retention
from iris.services.unit_of_work import UnitOfWork

log = logging.getLogger("iris.worker")


class Backoff(BaseRetryStrategy):
    """Exponential backoff with jitter (half fixed, half random, so retries of many jobs spread out), never
    sooner than a Retry-After the receiver asked for, and never later than `cap_s` apart."""

    def __init__(self, base_s: float, cap_s: float, max_attempts: Optional[int] = None):
        self.base_s, self.cap_s, self.max_attempts = base_s, cap_s, max_attempts

    def wait_s(self, attempts: int) -> float:
        ceiling = min(self.cap_s, self.base_s * 2 ** min(attempts, 30))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def delay_s(self, attempts: int, retry_after_s: Optional[float]) -> float:
        """The wait before the next of `attempts` tries, no shorter than what the receiver asked (bounded)."""
        wait = self.wait_s(attempts)
        return max(wait, min(retry_after_s, self.cap_s)) if retry_after_s else wait

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> Optional[RetryDecision]:
        if self.max_attempts is not None and job.attempts + 1 >= self.max_attempts:
            return None
        return RetryDecision(retry_at=datetime.now(timezone.utc) + timedelta(seconds=self.wait_s(job.attempts)))


@dataclass(frozen=True)
class Deps:
    """What the jobs need, built once by the worker from the settings (iris/jobs/worker.py)."""

    units: Callable[[], UnitOfWork]
    policy: deliveries.Policy
    send: Callable  # (url, body, headers) -> Outcome
    open_secret: Callable[[bytes], str]
    letterhead: mail.Letterhead
    send_mail: Optional[Callable]  # None: e-mail is off
    email_after_s: int
    kept: retention.Kept
    pool: Optional[Executor] = None  # sends one webhook's tickets side by side


def now() -> datetime:
    return datetime.now(timezone.utc)


# For jobs that fail on an error of their own: a database that went away, a bug fixed by a restart.
INTERNAL = Backoff(1, 300, max_attempts=20)
# A webhook's job starts no call after this long, then queues itself again for what is left: the job ends within
# this and one call's timeouts (IRIS_WEBHOOK_CONNECT/READ_TIMEOUT_SECONDS), inside SIGTERM's 60 s of grace.
DRAIN_BUDGET_S = 10
PAUSE_AFTER_ERROR_S = 60  # after an error of iris's own (the database away), a webhook's job comes back this late


def relay_turn(deps: Deps) -> fanout.Relayed:
    """One turn of passing on the journal (the worker runs it in a thread, over and over)."""
    email_after = deps.email_after_s if deps.send_mail is not None else None
    done = fanout.relay(deps.units(), email_after, now())
    if done.entries:
        metrics.NOTIFICATIONS.inc(done.notified)
        log.info("passed on %s journal entries: %s inbox, %s webhook", done.entries, done.notified, done.deliveries)
    return done


def register(app: App, deps: Deps) -> None:
    """Declares the jobs on the worker's app, each bound to `deps`."""
    _changes(app, deps)
    _mail_and_upkeep(app, deps)


def drain(deps: Deps, webhook_id: int, budget_s: float = DRAIN_BUDGET_S) -> None:
    """Sends the webhook's due deliveries, batch after batch, starting no call after `budget_s`; then queues its job
    again for what is left or waits for a retry. Never fails: procrastinate's own retry of a job whose queueing lock
    was taken meanwhile would fail, so an error here is logged, and the job comes back after a pause (or, if even
    that fails, `wake_idle` queues it)."""
    ends = time.monotonic() + budget_s
    try:
        while True:
            sent = deliveries.send_due(
                deps.units, webhook_id, deps.policy, deps.send, deps.open_secret, now, deps.pool, ends=ends
            )
            _count(webhook_id, sent)
            if not sent.full or time.monotonic() >= ends:
                break
        deliveries.come_back(deps.units, webhook_id, now())
    except Exception:
        log.exception("webhook %s: could not send its deliveries; they stay pending", webhook_id)
        try:
            later = now() + timedelta(seconds=PAUSE_AFTER_ERROR_S)
            deliveries.come_back(deps.units, webhook_id, now(), not_before=later)
        except Exception:
            log.exception("webhook %s: could not queue its job again; the worker's look for idle ones will", webhook_id)


def _count(webhook_id: int, sent: deliveries.Sent) -> None:
    for state, count in sent.states.items():
        metrics.DELIVERY_ATTEMPTS.labels(state).inc(count)
    if sent.states:
        log.info("webhook %s: %s", webhook_id, ", ".join(f"{n} {state}" for state, n in sorted(sent.states.items())))
    if sent.turned_off:
        log.warning("webhook %s kept failing and is now turned off", webhook_id)


def _changes(app: App, deps: Deps) -> None:
    @app.task(name=tasks.DELIVER_WEBHOOK, queue=tasks.QUEUE)
    def deliver_webhook(webhook_id: int) -> None:
        drain(deps, webhook_id)

    @app.task(name=tasks.DELIVER, queue=tasks.QUEUE)
    def deliver(delivery_id: str) -> None:
        """A job queued before revision 0033 (one per delivery): its webhook's job sends it, with the rest."""
        woken = deliveries.wake_idle(deps.units, now())
        log.info("old job for delivery %s: woke the jobs of webhooks %s", uuid.UUID(delivery_id), woken)


def _mail_and_upkeep(app: App, deps: Deps) -> None:
    @app.task(name=tasks.SEND_EMAIL, queue=tasks.QUEUE, retry=Backoff(30, 3600, max_attempts=12))
    def send_email(user_id: int) -> None:
        if deps.send_mail is None:
            return
        mailed = mail.send_digest(deps.units, user_id, deps.letterhead, deps.send_mail)
        log.info("e-mail to user %s: %s changes", user_id, mailed.sent)
        metrics.EMAILS.inc(1 if mailed.sent else 0)

    @app.periodic(cron="17 3 * * *", periodic_id="purge_old")  # daily, at a quiet hour (UTC)
    @app.task(name=tasks.PURGE_OLD, queue=tasks.QUEUE, retry=INTERNAL)
    def purge_old(timestamp: int) -> None:
        purged = retention.purge_old(deps.units, deps.kept, now())
        log.info("purged %s old webhook deliveries and %s old inbox entries", purged.deliveries, purged.notifications)
