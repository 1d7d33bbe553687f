"""Jobs for the background worker (iris/jobs), queued in the caller's transaction.

procrastinate keeps its jobs in PostgreSQL, so a job queued on the unit of work's own connection is committed or
rolled back with what made it. (A ticket change itself queues no job: the journal is its outbox, see
iris/services/fanout.py; the worker queues these as it passes changes on.)
"""

import uuid

from sqlalchemy.orm import Session

from iris.jobs import tasks


class OutboxRepository:
    def __init__(self, session: Session):
        self.session = session

    def deliver(self, delivery_id: uuid.UUID, webhook_id: int, ticket_id: int) -> None:
        """A delivery's job, locked by webhook and ticket: each receiver gets one ticket's events in order."""
        lock = tasks.delivery_lock(webhook_id, ticket_id)
        tasks.defer(self.session, [tasks.job(tasks.DELIVER, lock, {"delivery_id": str(delivery_id)})])

    def email_digest(self, user_id: int, after_s: float) -> None:
        """A user's next e-mail, `after_s` from now, unless one is already waiting (it will carry this too: that is
        how many changes in a short time become one message)."""
        lock = tasks.email_lock(user_id)
        tasks.defer(self.session, [tasks.job(tasks.SEND_EMAIL, lock, {"user_id": user_id}, lock, after_s)])
