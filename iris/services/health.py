"""Whether the database can serve this iris: it answers, and it has this iris's migrations."""

from typing import Optional

from iris.migrate import Revisions
from iris.services.unit_of_work import UnitOfWork


def schema_problem(uow: UnitOfWork, ours: Revisions) -> Optional[str]:
    """Why the database cannot serve this iris, or None. A server outlives its checks at start-up:
    its database may be downgraded, or swapped for an older one, later."""
    with uow:
        return ours.lacking(uow.schema.current_revisions())
