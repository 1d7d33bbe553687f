"""How many of the worker's jobs wait or run, by job and state (procrastinate_jobs), for /metrics."""

import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session

from iris.jobs import tasks

# Only jobs not yet finished: succeeded ones are deleted, so this stays the size of the backlog.
_DEPTH = text(
    "SELECT task_name, status::text, count(*) FROM procrastinate_jobs "
    "WHERE status IN ('todo', 'doing') GROUP BY task_name, status ORDER BY task_name, status"
)
_FAILED = text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'")
_UNTOLD = text("SELECT count(*) FROM ticket_history WHERE NOT told")  # its partial index: the backlog's size
_WAITING = text(
    "SELECT 1 FROM procrastinate_jobs WHERE lock = :lock AND status IN ('todo', 'doing') "
    "AND task_name = 'iris.deliver' AND args->>'delivery_id' = :id LIMIT 1"
)


class JobQueueRepository:
    def __init__(self, session: Session):
        self.session = session

    def depth(self) -> list[tuple[str, str, int]]:
        return [tuple(row) for row in self.session.execute(_DEPTH)]

    def failed(self) -> int:
        return self.session.scalar(_FAILED) or 0

    def untold(self) -> int:
        """Journal entries the worker has yet to pass on."""
        return self.session.scalar(_UNTOLD) or 0

    def delivery_waiting(self, delivery_id: uuid.UUID, webhook_id: int, ticket_id: int) -> bool:
        """Whether a job to send this delivery is queued or running (found through its lock, which is indexed)."""
        found = self.session.execute(
            _WAITING, {"lock": tasks.delivery_lock(webhook_id, ticket_id), "id": str(delivery_id)}
        ).first()
        return found is not None
