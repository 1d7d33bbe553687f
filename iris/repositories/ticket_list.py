"""The query behind GET /tickets: filters, full-text search, any sort order, and keyset pages."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional, Sequence

from sqlalchemy import ColumnElement, Double, and_, func, literal_column, or_, select, true, tuple_
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from iris.models import Ticket, WorkflowStatus

NO_DUE = literal_column("'infinity'::timestamptz")
# Sort keys as the indexes of revision 0013 hold them: no NULLs, so keyset comparisons stay simple.
SORT_KEYS: dict[str, ColumnElement] = {
    "ticket_id": Ticket.ticket_id,
    "created": Ticket.created,
    "updated": Ticket.updated,
    "due": func.coalesce(Ticket.due, NO_DUE),
    "title": Ticket.title,
    "status": Ticket.status,
    "assignee": func.coalesce(Ticket.assignee, ""),
}
RANK = "rank"  # the implicit sort of a search without `sort`: most relevant first
_PREFIX = re.compile(r"(?<![\w-])(\w+)\*")


@dataclass(frozen=True)
class SortKey:
    name: str
    descending: bool = False


@dataclass
class TicketFilter:
    statuses: Sequence[str] = ()
    open: Optional[bool] = None
    assignees: Sequence[str] = ()  # "none" means unassigned
    due_before: Optional[datetime] = None
    due_after: Optional[datetime] = None
    created_before: Optional[datetime] = None
    created_after: Optional[datetime] = None
    updated_after: Optional[datetime] = None
    overdue: Optional[bool] = None
    q: Optional[str] = None


def search_query(q: str) -> ColumnElement:
    """websearch syntax ("exact phrase", -exclude, or) plus prefix terms (`deploy*`)."""
    prefixes = _PREFIX.findall(q)
    rest = _PREFIX.sub(" ", q)
    query = func.websearch_to_tsquery("english", rest)
    for word in prefixes:
        query = query.op("&&")(func.to_tsquery("english", f"{word}:*"))
    return query


def _is_closed():
    return (
        select(WorkflowStatus.name)
        .where(WorkflowStatus.workflow == Ticket.workflow, WorkflowStatus.name == Ticket.status, WorkflowStatus.is_closed)
        .exists()
    )


def where_clauses(f: TicketFilter) -> list[ColumnElement]:
    clauses: list[ColumnElement] = []
    if f.statuses:
        clauses.append(Ticket.status.in_(f.statuses))
    if f.open is not None:
        clauses.append(~_is_closed() if f.open else _is_closed())
    if f.assignees:
        named = [a for a in f.assignees if a != "none"]
        options = ([Ticket.assignee.in_(named)] if named else []) + ([Ticket.assignee.is_(None)] if "none" in f.assignees else [])
        clauses.append(or_(*options))
    for column, bound, before in (
        (Ticket.due, f.due_before, True), (Ticket.due, f.due_after, False),
        (Ticket.created, f.created_before, True), (Ticket.created, f.created_after, False),
        (Ticket.updated, f.updated_after, False),
    ):
        if bound is not None:
            clauses.append(column < bound if before else column >= bound)  # half-open: [after, before)
    if f.overdue is not None:
        overdue = and_(Ticket.due < func.now(), ~_is_closed())
        clauses.append(overdue if f.overdue else ~overdue)
    if f.q is not None:
        clauses.append(Ticket.search.op("@@")(search_query(f.q)))
    return clauses


def _order(keys: Sequence[SortKey], rank) -> list[tuple[ColumnElement, bool]]:
    return [(rank if k.name == RANK else SORT_KEYS[k.name], k.descending) for k in keys]


def _after(order: list[tuple[ColumnElement, bool]], values: Sequence[Any]) -> ColumnElement:
    """Rows strictly after `values` in `order`: a row comparison when all directions agree (one index seek)."""
    if len({desc for _, desc in order}) == 1:
        left, right = tuple_(*(e for e, _ in order)), tuple_(*values)
        return left < right if order[0][1] else left > right
    options = []
    for i, (expr, desc) in enumerate(order):
        equal = [e == v for (e, _), v in zip(order[:i], values[:i])]
        options.append(and_(*equal, expr < values[i] if desc else expr > values[i]))
    return or_(*options)


def _sentinel(name: str, value: Any) -> Any:
    if value is None and name == "due":
        return NO_DUE
    if value is None and name == "assignee":
        return ""
    return value


def cursor_values(ticket: Ticket, rank: Optional[float], keys: Sequence[SortKey]) -> list[Any]:
    return [rank if k.name == RANK else getattr(ticket, k.name) for k in keys]


def page_query(f: TicketFilter, keys: Sequence[SortKey], after: Optional[Sequence[Any]], limit: int):
    """Up to `limit` tickets (and their search rank) in `keys` order, after the row whose sort values are `after`."""
    # float8, so the value a cursor carries compares equal to the one recomputed on the next page.
    rank = func.ts_rank_cd(Ticket.search, search_query(f.q)).cast(Double) if f.q is not None else None
    order = _order(keys, rank)
    query = select(Ticket, rank if rank is not None else literal_column("NULL")).where(*where_clauses(f))
    if after is not None:
        query = query.where(_after(order, [_sentinel(k.name, v) for k, v in zip(keys, after)]))
    return query.order_by(*(e.desc() if desc else e.asc() for e, desc in order)).limit(limit)


def fetch_page(
    session: Session, f: TicketFilter, keys: Sequence[SortKey], after: Optional[Sequence[Any]], limit: int
) -> list[tuple[Ticket, Optional[float]]]:
    return [(row[0], row[1]) for row in session.execute(page_query(f, keys, after, limit)).all()]


def estimated_matches(session: Session, f: TicketFilter) -> int:
    """The planner's estimate of how many tickets match: free, and good enough to decide whether to count."""
    query = select(Ticket.ticket_id).where(*where_clauses(f))
    compiled = query.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    plan = session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar()
    return int(plan[0]["Plan"]["Plan Rows"])


def count_within(
    session: Session, f: TicketFilter, budget_ms: int, statement_timeout_ms: int, max_estimate: int
) -> Optional[int]:
    """The exact number of matching tickets, or None when counting would take longer than `budget_ms`.

    When the planner expects more than `max_estimate` matches the count is not even tried (it could
    not finish in time); otherwise it runs under a `budget_ms` statement timeout.
    """
    if estimated_matches(session, f) > max_estimate:
        return None
    savepoint = session.begin_nested()
    try:
        session.execute(select(func.set_config("statement_timeout", str(budget_ms), true())))
        total = session.scalar(select(func.count()).select_from(Ticket).where(*where_clauses(f)))
        session.execute(select(func.set_config("statement_timeout", str(statement_timeout_ms), true())))
        savepoint.commit()
        return total
    except OperationalError:
        savepoint.rollback()  # also restores the statement timeout set inside the savepoint
        return None

