"""The transactional outbox: jobs for the background worker (iris/jobs), written in the caller's transaction.

procrastinate keeps its jobs in PostgreSQL, so a job queued on the unit of work's own connection is committed or
rolled back with the change that made it: a rolled-back change sends nothing, and a committed one is never lost.
"""

import uuid
from typing import Sequence

from sqlalchemy.orm import Session

from iris.jobs import tasks


class OutboxRepository:
    def __init__(self, session: Session):
        self.session = session

    def ticket_changed(self, changeset: uuid.UUID, ticket_ids: Sequence[int]) -> None:
        """One job per ticket, locked by ticket: the worker handles one ticket's change sets one at a time, in the
        order they were committed (a change holds its ticket's row lock until it commits, so it is queued after
        any earlier change to that ticket committed). A bulk edit's jobs go in one statement."""
        jobs = [
            tasks.job(tasks.TICKET_CHANGED, tasks.ticket_lock(i), {"changeset": str(changeset), "ticket_id": i})
            for i in ticket_ids
        ]
        tasks.defer(self.session, jobs)

    def deliver(self, delivery_id: uuid.UUID, webhook_id: int, ticket_id: int) -> None:
        """A delivery's job, locked by webhook and ticket: each receiver gets one ticket's events in order."""
        lock = tasks.delivery_lock(webhook_id, ticket_id)
        tasks.defer(self.session, [tasks.job(tasks.DELIVER, lock, {"delivery_id": str(delivery_id)})])

    def email_digest(self, user_id: int, after_s: float) -> None:
        """A user's next e-mail, `after_s` from now, unless one is already waiting (it will carry this too: that is
        how many changes in a short time become one message)."""
        lock = tasks.email_lock(user_id)
        tasks.defer(self.session, [tasks.job(tasks.SEND_EMAIL, lock, {"user_id": user_id}, lock, after_s)])
