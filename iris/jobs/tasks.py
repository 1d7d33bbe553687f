"""The worker's jobs by name, their locks, and deferring one inside the caller's SQLAlchemy transaction.

Only names here: the web process defers jobs without importing what runs them (iris/jobs/handlers.py).
"""

from typing import Any

from procrastinate import App
from procrastinate.contrib.sqlalchemy import SQLAlchemyPsycopg2Connector
from sqlalchemy.orm import Session

TICKET_CHANGED = "iris.ticket_changed"  # tell watchers, make webhook deliveries: one change set on one ticket
DELIVER = "iris.deliver"  # send one webhook delivery (retried with backoff)
SEND_EMAIL = "iris.send_email"  # one e-mail with what a user was told since the last one
PURGE_OLD = "iris.purge_old"  # daily: finished deliveries and inbox entries past their retention
QUEUE = "iris"

# Defers only, on a connection it is handed (never its own): building it connects to nothing.
_DEFERRER = App(connector=SQLAlchemyPsycopg2Connector())


def ticket_lock(ticket_id: int) -> str:
    return f"ticket:{ticket_id}"


def delivery_lock(webhook_id: int, ticket_id: int) -> str:
    return f"webhook:{webhook_id}:ticket:{ticket_id}"


def email_lock(user_id: int) -> str:
    return f"email:{user_id}"


def defer(session: Session, task: str, lock: str, queueing_lock=None, schedule_in=None, **kwargs: Any) -> int:
    """Insert the job on the session's connection: it commits, or rolls back, with everything else done there."""
    deferrer = _DEFERRER.configure_task(
        task,
        lock=lock,
        queueing_lock=queueing_lock,
        schedule_in=schedule_in,
        queue=QUEUE,
        connection=session.connection(),
    )
    return deferrer.defer(**kwargs)
