"""The query behind GET /tickets: filters, full-text search, any sort order, and keyset pages."""

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, NamedTuple, Optional, Sequence

from sqlalchemy import ColumnElement, Double, and_, func, literal_column, or_, select, true, tuple_
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from iris.models import TICKET_FIELDS, Ticket, WorkflowStatus, ticket_counts
from iris.repositories.search_syntax import search_query

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
LISTED = tuple(getattr(Ticket, name) for name in TICKET_FIELDS)  # a listed ticket: a plain row, never an ORM object


class ListedTicket(NamedTuple):
    """A ticket of a list, read by name like an ORM object: a named tuple's fields cost a third of a Row's
    attribute lookups, which took two thirds of a 500-ticket page's serialisation."""

    ticket_id: int
    title: str
    assignee: Optional[str]
    description: Optional[str]
    created: datetime
    updated: datetime
    due: Optional[datetime]
    due_raw: Optional[str]
    workflow: str
    status: str
    version: int
    reporter: Optional[str]
    rank: Optional[float]  # relevance, in a search sorted by it


# Every listing selects LISTED and then the rank, so a row's first fields are a ListedTicket's, in its order.
assert ListedTicket._fields == (*TICKET_FIELDS, RANK)
_listed = ListedTicket._make
_WIDTH = len(ListedTicket._fields)


@dataclass(frozen=True)
class SortKey:
    name: str
    descending: bool = False


@dataclass
class TicketFilter:
    workflows: Sequence[str] = ()
    statuses: Sequence[str] = ()
    open: Optional[bool] = None
    assignees: Sequence[str] = ()  # "none" means unassigned
    reporters: Sequence[str] = ()
    due_before: Optional[datetime] = None
    due_after: Optional[datetime] = None
    created_before: Optional[datetime] = None
    created_after: Optional[datetime] = None
    updated_after: Optional[datetime] = None
    overdue: Optional[bool] = None
    q: Optional[str] = None


@dataclass(frozen=True)
class CountBudget:
    """How much a list may spend on its exact total (IRIS_COUNT_BUDGET_MS, IRIS_COUNT_MAX_ESTIMATE)."""

    ms: int
    max_estimate: int
    statement_timeout_ms: int  # what every other statement gets, restored after the count


def _is_closed(workflow: ColumnElement = Ticket.workflow, status: ColumnElement = Ticket.status):
    return (
        select(WorkflowStatus.name)
        .where(WorkflowStatus.workflow == workflow, WorkflowStatus.name == status, WorkflowStatus.is_closed)
        .exists()
    )


def where_clauses(f: TicketFilter) -> list[ColumnElement]:
    clauses: list[ColumnElement] = []
    if f.workflows:
        clauses.append(Ticket.workflow.in_(f.workflows))
    if f.statuses:
        clauses.append(Ticket.status.in_(f.statuses))
    if f.open is not None:
        clauses.append(~_is_closed() if f.open else _is_closed())
    if f.assignees:
        named = [a for a in f.assignees if a != "none"]
        options = ([Ticket.assignee.in_(named)] if named else []) + (
            [Ticket.assignee.is_(None)] if "none" in f.assignees else []
        )
        clauses.append(or_(*options))
    if f.reporters:
        clauses.append(Ticket.reporter.in_(f.reporters))
    clauses.extend(_time_bounds(f))
    if f.overdue is not None:
        overdue = and_(Ticket.due < func.now(), ~_is_closed())
        clauses.append(overdue if f.overdue else ~overdue)
    if f.q is not None:
        clauses.append(Ticket.search.op("@@")(search_query(f.q)))
    return clauses


def _time_bounds(f: TicketFilter) -> list[ColumnElement]:
    bounds = (
        (Ticket.due, f.due_before, True),
        (Ticket.due, f.due_after, False),
        (Ticket.created, f.created_before, True),
        (Ticket.created, f.created_after, False),
        (Ticket.updated, f.updated_after, False),
    )
    # half-open: [after, before)
    return [column < bound if before else column >= bound for column, bound, before in bounds if bound is not None]


def _after(order: list[tuple[ColumnElement, bool]], values: Sequence[Any]) -> ColumnElement:
    """Rows strictly after `values` in `order`: a row comparison when all directions agree (one index seek)."""
    if len({desc for _, desc in order}) == 1:
        left, right = tuple_(*(e for e, _ in order)), tuple_(*values)
        return left < right if order[0][1] else left > right
    options = []
    for i, (expr, desc) in enumerate(order):
        equal = [e == v for (e, _), v in zip(order[:i], values[:i], strict=True)]
        options.append(and_(*equal, expr < values[i] if desc else expr > values[i]))
    return or_(*options)


def _sentinel(name: str, value: Any) -> Any:
    if value is None and name == "due":
        return NO_DUE
    if value is None and name == "assignee":
        return ""
    return value


def cursor_values(row: ListedTicket, keys: Sequence[SortKey]) -> list[Any]:
    return [getattr(row, k.name) for k in keys]


def is_ranked(keys: Sequence[SortKey]) -> bool:
    return bool(keys) and keys[0].name == RANK


def _rank(q: str) -> ColumnElement:
    # ts_rank weighs title (A) over description (B) over comments (C) and, for several words, their
    # proximity; ts_rank_cd orders much the same but cost five times as much per match (docs/performance.md).
    # float8, so the value a cursor carries compares equal to the one recomputed on the next page.
    return func.ts_rank(Ticket.search, search_query(q)).cast(Double)


def page_query(f: TicketFilter, keys: Sequence[SortKey], after: Optional[Sequence[Any]], limit: int):
    """Up to `limit` tickets (the LISTED fields, and a NULL rank) in `keys` order, after the row whose sort
    values are `after`."""
    order = [(SORT_KEYS[k.name], k.descending) for k in keys]
    query = select(*LISTED, literal_column("NULL").label(RANK)).where(*where_clauses(f))
    if after is not None:
        query = query.where(_after(order, [_sentinel(k.name, v) for k, v in zip(keys, after, strict=True)]))
    return query.order_by(*(e.desc() if desc else e.asc() for e, desc in order)).limit(limit)


def ranked_query(f: TicketFilter, after: Optional[Sequence[Any]], limit: int):
    """The most relevant `limit` matches of `f.q` after `after` (rank, ticket_id), and the exact number of matches.

    Relevance order has to rank every match before the best ones are known, so counting them in the
    same statement is nearly free: no second index scan, and the total is never skipped. Rows are
    (ticket, rank, total); with no ticket on the page there is one row, (None, None, total).
    """
    matches = (
        select(Ticket.ticket_id, _rank(f.q).label("rank"))
        .where(*where_clauses(f))
        .cte("matches")
        .prefix_with("MATERIALIZED")
    )
    page = select(matches.c.ticket_id, matches.c.rank)
    if after is not None:
        page = page.where(_after([(matches.c.rank, True), (matches.c.ticket_id, False)], after))
    page = page.order_by(matches.c.rank.desc(), matches.c.ticket_id).limit(limit).subquery("page")
    total = select(func.count().label("total")).select_from(matches).subquery("total")
    return (
        select(*LISTED, page.c.rank, total.c.total)
        .select_from(total)
        .outerjoin(page, true())
        .outerjoin(Ticket, Ticket.ticket_id == page.c.ticket_id)
        .order_by(page.c.rank.desc(), page.c.ticket_id)
    )


def listing_query(f: TicketFilter, keys: Sequence[SortKey], after: Optional[Sequence[Any]], limit: int):
    return ranked_query(f, after, limit) if is_ranked(keys) else page_query(f, keys, after, limit)


class TicketListRepository:
    """GET /tickets's reads: a page, whether a search has words, and the total when it is cheap enough."""

    def __init__(self, session: Session):
        self.session = session

    def fetch_page(
        self, f: TicketFilter, keys: Sequence[SortKey], after: Optional[Sequence[Any]], limit: int
    ) -> tuple[list[ListedTicket], Optional[int]]:
        """The page, and the exact total when it came with the page (relevance order) or None."""
        rows = self.session.execute(listing_query(f, keys, after, limit)).all()
        if is_ranked(keys):
            return [_listed(row[:_WIDTH]) for row in rows if row.ticket_id is not None], rows[0].total
        return [_listed(row[:_WIDTH]) for row in rows], None

    def has_words(self, q: str) -> bool:
        """Whether `q` leaves anything to search for once stop words and punctuation are dropped."""
        return bool(self.session.scalar(select(func.numnode(search_query(q)) > 0)))

    def estimated_matches(self, f: TicketFilter) -> int:
        """The planner's estimate of how many tickets match: free, and good enough to decide whether to count."""
        query = select(Ticket.ticket_id).where(*where_clauses(f))
        compiled = query.compile(dialect=self.session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
        plan = self.session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar()
        return int(plan[0]["Plan"]["Plan Rows"])

    def counted_total(self, f: TicketFilter) -> Optional[int]:
        """The exact total from `ticket_counts` when `f` filters by status or open/closed only, else None.

        A sum over a few rows, so these lists (the busiest ones) are counted whatever their size.
        """
        others = [getattr(f, field.name) for field in fields(f) if field.name not in ("workflows", "statuses", "open")]
        if any(value is not None and value != () and value != [] for value in others):
            return None
        query = select(func.coalesce(func.sum(ticket_counts.c.tickets), 0))
        if f.workflows:
            query = query.where(ticket_counts.c.workflow.in_(f.workflows))
        if f.statuses:
            query = query.where(ticket_counts.c.status.in_(f.statuses))
        if f.open is not None:
            closed = _is_closed(ticket_counts.c.workflow, ticket_counts.c.status)
            query = query.where(~closed if f.open else closed)
        return int(self.session.scalar(query))

    def count_within(self, f: TicketFilter, budget: CountBudget) -> Optional[int]:
        """The exact number of matching tickets, or None when counting would take longer than the budget.

        When the planner expects more than `budget.max_estimate` matches the count is not even tried (it
        could not finish in time); otherwise it runs under a `budget.ms` statement timeout. Lists that
        `counted_total` can answer are never skipped.
        """
        total = self.counted_total(f)
        if total is not None:
            return total
        if self.estimated_matches(f) > budget.max_estimate:
            return None
        try:
            # Leaving the savepoint on an error rolls it back, which also restores the statement timeout.
            with self.session.begin_nested():
                self._statement_timeout(budget.ms)
                total = self.session.scalar(select(func.count()).select_from(Ticket).where(*where_clauses(f)))
                self._statement_timeout(budget.statement_timeout_ms)
            return total
        except OperationalError:
            return None

    def _statement_timeout(self, ms: int) -> None:
        self.session.execute(select(func.set_config("statement_timeout", str(ms), true())))
