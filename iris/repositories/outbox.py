"""Jobs for the background worker (iris/jobs), queued in the caller's transaction.

procrastinate keeps its jobs in PostgreSQL, so a job queued on the unit of work's own connection is committed or
rolled back with what made it. (A ticket change itself queues no job: the journal is its outbox, see
iris/services/fanout.py; the worker queues these as it passes changes on.)
"""

from datetime import datetime
from typing import Optional

from sqlalchemy.orm import Session

from iris.jobs import tasks


class OutboxRepository:
    def __init__(self, session: Session):
        self.session = session

    def deliver(self, webhook_id: int, at: Optional[datetime] = None) -> None:
        """The job that sends a webhook's due deliveries, now or `at`: one at a time per webhook (its lock), and one
        waiting at most (its queueing lock; a waiting one is brought forward to now, or `at`, if later)."""
        lock = tasks.webhook_lock(webhook_id)
        job = tasks.job(tasks.DELIVER_WEBHOOK, lock, {"webhook_id": webhook_id}, queueing_lock=lock, at=at)
        tasks.defer(self.session, [job], sooner=True)

    def email_digest(self, user_id: int, after_s: float) -> None:
        """A user's next e-mail, `after_s` from now, unless one is already waiting (it will carry this too: that is
        how many changes in a short time become one message)."""
        lock = tasks.email_lock(user_id)
        tasks.defer(self.session, [tasks.job(tasks.SEND_EMAIL, lock, {"user_id": user_id}, lock, after_s)])
