"""The worker's jobs by name, their locks, and queueing them inside the caller's SQLAlchemy transaction.

A job is a row of procrastinate_jobs, the table of the schema migration 0025 installed (procrastinate 3.10.0's own,
pinned to that minor release). The web process inserts those rows itself, with SQLAlchemy, rather than through
procrastinate's App: importing procrastinate loads psycopg 3 and its pool (about 25 MB in every gunicorn worker,
measured with `import iris.api.app`), only to run an INSERT; and an INSERT of many rows queues a bulk edit's jobs in
one statement. The row is what procrastinate's own `defer` writes (procrastinate_defer_jobs_v1 is that INSERT), and
its triggers (the NOTIFY that wakes workers, the `deferred` event) fire all the same; a waiting job brought
forward (`defer(..., sooner=True)`) is an UPDATE, so `defer` sends that NOTIFY itself. The worker (iris/jobs/worker.py)
runs them with procrastinate itself.
"""

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Optional, Sequence

from sqlalchemy import Column, Integer, MetaData, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Session
from sqlalchemy.types import DateTime

DELIVER_WEBHOOK = "iris.deliver_webhook"  # send what is due of one webhook's deliveries, in batches
DELIVER = "iris.deliver"  # before revision 0033, a job per delivery (0033 turned the waiting ones into the above)
SEND_EMAIL = "iris.send_email"  # one e-mail with what a user was told since the last one
PURGE_OLD = "iris.purge_old"  # daily: finished deliveries and inbox entries past their retention
QUEUE = "iris"

# The columns a deferred job sets; the rest keep their defaults (status todo, no attempts yet). Not in iris's
# models' metadata: the table is procrastinate's, and `alembic check` leaves it be.
JOBS = Table(
    "procrastinate_jobs",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("queue_name", Text),
    Column("task_name", Text),
    Column("lock", Text),
    Column("queueing_lock", Text),
    Column("args", JSONB),
    Column("scheduled_at", DateTime(timezone=True)),
)


WEBHOOK_LOCK = "webhook:"  # + the webhook's id: its job's lock and queueing lock


def webhook_lock(webhook_id: int) -> str:
    return f"{WEBHOOK_LOCK}{webhook_id}"


def email_lock(user_id: int) -> str:
    return f"email:{user_id}"


def job(
    task: str,
    lock: str,
    args: dict[str, Any],
    queueing_lock: Optional[str] = None,
    after_s: float = 0,
    at: Optional[datetime] = None,
) -> dict:
    scheduled = at or (datetime.now(timezone.utc) + timedelta(seconds=after_s) if after_s else None)
    return {"queue_name": QUEUE, "task_name": task, "lock": lock, "queueing_lock": queueing_lock, "args": args,
            "scheduled_at": scheduled}  # fmt: skip


def defer(session: Session, jobs: Sequence[dict], sooner: bool = False) -> int:
    """Insert the jobs on the session's connection, in order (ids grow in list order): they commit, or roll back,
    with everything else done there. A job whose queueing lock is taken by one still waiting is left out (that one
    will do); with `sooner`, the waiting one is brought forward to this one's time if that is earlier (and the
    workers told, as an insert's trigger tells them). Returns how many were queued or brought forward."""
    if not jobs:
        return 0
    statement = insert(JOBS).values(list(jobs))
    if any(j["queueing_lock"] for j in jobs):
        waiting = {"index_elements": ["queueing_lock"], "index_where": text("status = 'todo'")}
        if sooner:
            statement = statement.on_conflict_do_update(**waiting, set_={"scheduled_at": _EARLIER}, where=_LATER)
        else:
            statement = statement.on_conflict_do_nothing(**waiting)
    rows = session.execute(statement.returning(JOBS.c.id, text("xmax = 0"))).all()
    for job_id, inserted in rows:
        if not inserted:  # an UPDATE fires no insert trigger, so no NOTIFY: say it here, or it waits for a poll
            session.execute(_NOTIFY, {"payload": json.dumps({"type": "job_inserted", "job_id": job_id})})
    return len(rows)


# No time (NULL) is "now", earlier than any; the waiting job is only touched when it is to run sooner (each
# update of a scheduled job adds a row to procrastinate_events).
_EARLIER = text(
    "CASE WHEN excluded.scheduled_at IS NULL THEN NULL "
    "ELSE LEAST(procrastinate_jobs.scheduled_at, excluded.scheduled_at) END"
)
_LATER = text(
    "procrastinate_jobs.scheduled_at IS NOT NULL "
    "AND (excluded.scheduled_at IS NULL OR excluded.scheduled_at < procrastinate_jobs.scheduled_at)"
)
_NOTIFY = text(f"SELECT pg_notify('procrastinate_queue_v1#{QUEUE}', :payload)")
