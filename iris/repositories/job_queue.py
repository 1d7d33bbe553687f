"""How many of the worker's jobs wait or run, by job and state (procrastinate_jobs), for /metrics."""

from sqlalchemy import text
from sqlalchemy.orm import Session

# Only jobs not yet finished: succeeded ones are deleted, so this stays the size of the backlog.
_DEPTH = text(
    "SELECT task_name, status::text, count(*) FROM procrastinate_jobs "
    "WHERE status IN ('todo', 'doing') GROUP BY task_name, status ORDER BY task_name, status"
)
_FAILED = text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'")
_UNTOLD = text("SELECT count(*) FROM ticket_history WHERE NOT told")  # its partial index: the backlog's size
_PENDING = text("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'")  # ix_webhook_deliveries_queue


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

    def pending_deliveries(self) -> int:
        """Webhook deliveries still to be sent, or waiting for a retry."""
        return self.session.scalar(_PENDING) or 0
