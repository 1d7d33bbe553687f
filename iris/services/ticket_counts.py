"""Checking and rebuilding the kept totals (`ticket_counts`), for databases loaded with triggers disabled."""

from dataclasses import dataclass

from iris.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Drift:
    workflow: str
    status: str
    kept: int
    actual: int


def totals(uow: UnitOfWork) -> list[tuple[str, str, int]]:
    """(workflow, status, tickets) from the kept totals: a few rows, whatever the number of tickets."""
    with uow:
        return uow.ticket_counts.totals()


def check(uow: UnitOfWork) -> list[Drift]:
    """Where the kept totals are wrong; empty when every total is exact. Changes nothing."""
    with uow:
        return [Drift(*row) for row in uow.ticket_counts.differences()]


def recount(uow: UnitOfWork, lock_timeout: str) -> list[Drift]:
    """Rebuild the kept totals from the tickets if any is wrong; returns what was wrong.

    Ticket writes wait until this commits (reads do not): counting a million tickets takes a second or so.
    """
    with uow:
        uow.ticket_counts.hold_off_writers(lock_timeout)
        drifts = [Drift(*row) for row in uow.ticket_counts.differences()]
        if drifts:
            uow.ticket_counts.rebuild()
        uow.commit()
        return drifts
