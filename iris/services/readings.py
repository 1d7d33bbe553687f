"""What /metrics reads from the database at each scrape: a few small queries, never a scan of a big table."""

from dataclasses import dataclass

from iris.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Readings:
    tickets: list[tuple[str, str, int]]  # (workflow, status, tickets), from the kept totals
    jobs: list[tuple[str, str, int]]  # (job, todo|doing, how many): the worker's backlog
    failed_jobs: int  # jobs that gave up (kept to look into)
    untold: int  # journal entries the worker has yet to pass on to watchers and webhooks
    pending: int  # webhook deliveries not yet delivered nor given up on: the delivery queue


def read(uow: UnitOfWork) -> Readings:
    with uow.read_only():
        queue = uow.job_queue
        return Readings(
            uow.ticket_counts.totals(), queue.depth(), queue.failed(), queue.untold(), queue.pending_deliveries()
        )
