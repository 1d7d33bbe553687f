"""Checking and rebuilding the kept totals (`ticket_counts`), for databases loaded with triggers disabled."""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from iris.repositories import ticket_counts


@dataclass(frozen=True)
class Drift:
    workflow: str
    status: str
    kept: int
    actual: int


def check(session: Session) -> list[Drift]:
    """Where the kept totals are wrong; empty when every total is exact. Changes nothing."""
    drifts = [Drift(*row) for row in ticket_counts.differences(session)]
    session.rollback()
    return drifts


def recount(session: Session, lock_timeout: str) -> list[Drift]:
    """Rebuild the kept totals from the tickets if any is wrong; returns what was wrong.

    Ticket writes wait until this commits (reads do not): counting a million tickets takes a second or so.
    """
    ticket_counts.hold_off_writers(session, lock_timeout)
    drifts = [Drift(*row) for row in ticket_counts.differences(session)]
    if drifts:
        ticket_counts.rebuild(session)
    session.commit()
    return drifts
