"""Ticket use cases. Each is one transaction, journaled in that transaction, and committed here."""

from dataclasses import dataclass
from typing import Any, Optional, Sequence

from sqlalchemy import Row
from sqlalchemy.orm import Session

from iris.errors import BulkItemFailed, InvalidInput, NotFound, RuleBroken, VersionMismatch
from iris.models import Comment, Ticket
from iris.repositories.comments import CommentRepository
from iris.repositories.ticket_list import SortKey, TicketFilter, count_within, cursor_values, fetch_page, has_words
from iris.repositories.tickets import TicketRepository
from iris.repositories.workflows import WorkflowRepository
from iris.schemas import TicketCreate, TicketPatch, TicketReplace, ticket_json
from iris.services.idempotency import Created, KeyUse, create_once
from iris.services.journal import ANONYMOUS, Changeset, histories, snapshot

RECENT_COMMENTS = 20
BULK_MAX = 100
NO_WORDS = "has no word to search for: punctuation and the commonest English words (the, and, of, ...) are not indexed"


def open_ticket(session: Session, data: TicketCreate, actor: str = ANONYMOUS, key: Optional[KeyUse] = None) -> Created:
    """A new ticket, in the initial status of its workflow; with `key`, at most once."""

    def create() -> Created:
        workflow = WorkflowRepository(session).get(data.workflow)
        if workflow is None:
            raise RuleBroken({"workflow": f"there is no workflow named {data.workflow!r}"})
        ticket = TicketRepository(session).add(**data.model_dump(), status=workflow.initial)
        changes = Changeset(actor)
        changes.add(ticket.ticket_id, "created", new=snapshot(ticket))
        changes.save(session)
        return Created(201, ticket_json(ticket), f"/tickets/{ticket.ticket_id}")

    return create_once(session, key, create)


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = TicketRepository(session).get(ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    return ticket


def get_ticket_detail(session: Session, ticket_id: int) -> tuple[Ticket, list[Comment], int]:
    """The ticket, its most recent comments and their total: two queries, however many comments."""
    ticket = get_ticket(session, ticket_id)
    comments, total = CommentRepository(session).recent_with_total(ticket_id, RECENT_COMMENTS)
    return ticket, comments, total


@dataclass
class TicketPage:
    tickets: list[Row]  # TICKET_FIELDS first, as ticket_fields_json reads them
    next_after: Optional[list]  # the last ticket's sort values, when more tickets follow
    total: Optional[int]  # None when counting would have taken longer than the budget
    histories: Optional[dict[int, list]] = None  # with_history: each listed ticket's journal


def find_tickets(
    session: Session,
    f: TicketFilter,
    sort: Sequence[SortKey],
    *,
    after: Optional[Sequence],
    limit: int,
    count_budget_ms: int,
    statement_timeout_ms: int,
    count_max_estimate: int,
    with_history: bool = False,
) -> TicketPage:
    """One keyset page of the tickets that match `f`, in `sort` order, and the exact total if it is cheap enough."""
    if f.statuses:
        _require_known_statuses(session, f.statuses)
    rows, total = fetch_page(session, f, sort, after, limit + 1)
    if not rows and f.q is not None and not has_words(session, f.q):
        # Otherwise `q=the` would answer an empty list, as if no ticket mentioned it: q was ignored, silently.
        # 422, not 400: q is well-formed, and no schema can tell stop words apart (fuzzing holds us to it).
        raise RuleBroken({"q": NO_WORDS})
    page = rows[:limit]
    more = len(rows) > limit
    next_after = cursor_values(page[-1], sort) if more else None
    if total is None:
        total = count_within(session, f, count_budget_ms, statement_timeout_ms, count_max_estimate)
    journals = histories(session, [t.ticket_id for t in page]) if with_history else None
    return TicketPage(page, next_after, total, journals)


def _require_known_statuses(session: Session, statuses: Sequence[str]) -> None:
    # `status=open` for `Open` would otherwise match nothing, silently, like a filter that does not work.
    known = WorkflowRepository(session).status_names()
    unknown = [s for s in statuses if s not in known]
    if not unknown:
        return
    by_case = {k.casefold(): k for k in known}
    hints = [by_case[s.casefold()] for s in unknown if s.casefold() in by_case]
    hint = f"did you mean {', '.join(map(repr, hints))}?" if hints else f"the statuses are {', '.join(map(repr, sorted(known)))}"
    named = f"a status {unknown[0]!r}" if len(unknown) == 1 else f"the statuses {', '.join(map(repr, unknown))}"
    raise RuleBroken({"status": f"no workflow has {named}; {hint}"})


def locked(session: Session, ticket_id: int, expected_version: Optional[int]) -> Ticket:
    """The ticket, row-locked for this transaction, at the version the client expects (None: any)."""
    ticket = TicketRepository(session).get_for_update(ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    VersionMismatch.check("ticket", ticket_id, ticket.version, expected_version)
    return ticket


def _apply(session: Session, ticket: Ticket, changes: dict[str, Any], journal: Changeset) -> Ticket:
    if "due" in changes:
        changes["due_raw"] = None  # a due set through the API supersedes the unparsed legacy text
    before = snapshot(ticket)
    for name, value in changes.items():
        setattr(ticket, name, value)
    session.flush()
    session.refresh(ticket)  # version and updated, set by the trigger when something really changed
    journal.changed(ticket.ticket_id, before, snapshot(ticket))
    return ticket


def _change(session: Session, ticket_id: int, changes: dict[str, Any], expected_version: Optional[int], actor: str) -> Ticket:
    journal = Changeset(actor)
    ticket = _apply(session, locked(session, ticket_id, expected_version), changes, journal)
    journal.save(session)
    session.commit()
    return ticket


def edit_ticket(session: Session, ticket_id: int, patch: TicketPatch, expected_version: Optional[int], actor: str = ANONYMOUS) -> Ticket:
    return _change(session, ticket_id, patch.changes(), expected_version, actor)


def replace_ticket(session: Session, ticket_id: int, data: TicketReplace, expected_version: Optional[int], actor: str = ANONYMOUS) -> Ticket:
    """PUT /tickets/{id}: every editable field takes the given value, or null when left out."""
    return _change(session, ticket_id, data.fields(), expected_version, actor)


def delete_ticket(session: Session, ticket_id: int, expected_version: Optional[int], actor: str = ANONYMOUS) -> None:
    ticket = locked(session, ticket_id, expected_version)
    journal = Changeset(actor)
    journal.add(ticket_id, "deleted", old=snapshot(ticket))
    journal.save(session)
    TicketRepository(session).delete(ticket_id)
    session.commit()


def bulk_edit(session: Session, items: Sequence[Any], actor: str = ANONYMOUS) -> list[Ticket]:
    """Apply every item, or none: the first failing item is named, and nothing is written."""
    if not 1 <= len(items) <= BULK_MAX:
        raise InvalidInput({"body": f"send 1 to {BULK_MAX} items"})
    # One query locks them all, in one order for every writer: no deadlocks.
    tickets = TicketRepository(session).lock_many(sorted({item.ticket_id for item in items}))
    journal = Changeset(actor)
    done = []
    for index, item in enumerate(items):
        ticket = tickets.get(item.ticket_id)
        if ticket is None:
            raise BulkItemFailed(index, item.ticket_id, "not found", 404, f"ticket {item.ticket_id} does not exist")
        try:
            VersionMismatch.check("ticket", item.ticket_id, ticket.version, item.version)
        except VersionMismatch as exc:
            raise BulkItemFailed(index, item.ticket_id, "version mismatch", 412, str(exc)) from None
        done.append(_apply(session, ticket, item.changes.changes(), journal))
    journal.save(session)
    session.commit()
    return done
