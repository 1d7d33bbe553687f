"""Ticket use cases. Each runs in one unit of work, journaled there, and commits it when it succeeds."""

from dataclasses import dataclass
from typing import Any, Optional, Sequence, Union

from iris.errors import BulkItemFailed, InvalidInput, NotFound, RuleBroken, VersionMismatch, found
from iris.models import Comment, Ticket
from iris.repositories.search_syntax import search_problem
from iris.repositories.ticket_list import (
    CountBudget,
    ListedTicket,
    SortKey,
    TicketFilter,
    cursor_values,
)
from iris.schemas import TicketCreate, TicketPatch, TicketReplace
from iris.services.idempotency import Created, KeyUse, Replayed, create_once
from iris.services.journal import snapshot
from iris.services.preconditions import Precondition
from iris.services.rights import may_assign, may_edit_ticket
from iris.services.unit_of_work import UnitOfWork
from iris.services.users import assignable
from iris.services.watchers import auto_watch, watching_names

RECENT_COMMENTS = 20
HISTORY_EMBEDDED = 10  # a listed ticket's newest journal entries; all of them: its own history route
BULK_MAX = 100
NO_WORDS = "has no word to search for: punctuation and the commonest English words (the, and, of, ...) are not indexed"


@dataclass(frozen=True)
class TicketWithComments:
    """A ticket, its most recent comments (oldest first) and how many it has in all."""

    ticket: Ticket
    comments: list[Comment]
    comment_count: int


def open_ticket(uow: UnitOfWork, data: TicketCreate, key: Optional[KeyUse] = None) -> Union[Created[Ticket], Replayed]:
    """A new ticket, in the initial status of its workflow; with `key`, at most once."""

    def create() -> Ticket:
        may_assign(uow.actor, data.assignee)
        fields = {**data.model_dump(exclude={"workflow"}), "assignee": assignable(uow, data.assignee)}
        watchers = watching_names(uow.actor.username, fields["assignee"])  # the reporter and assignee watch it
        ticket = uow.tickets.open(data.workflow, watchers, **fields, reporter=uow.actor.username)
        if ticket is None:
            raise RuleBroken({"workflow": f"there is no workflow named {data.workflow!r}"})
        uow.journal.add(ticket.ticket_id, "created", new=snapshot(ticket))
        return ticket

    with uow:
        return create_once(uow, key, create)


def get_ticket(uow: UnitOfWork, ticket_id: int) -> Ticket:
    return found(uow.tickets.get(ticket_id), "ticket", ticket_id)


def get_ticket_detail(uow: UnitOfWork, ticket_id: int) -> TicketWithComments:
    """The ticket, its most recent comments and their total: one query, however many comments."""
    with uow.read_only():
        detail = uow.tickets.with_recent_comments(ticket_id, RECENT_COMMENTS)
        return TicketWithComments(*found(detail, "ticket", ticket_id))


def with_comments(uow: UnitOfWork, ticket: Ticket) -> TicketWithComments:
    comments, total = uow.comments.recent_with_total(ticket.ticket_id, RECENT_COMMENTS)
    return TicketWithComments(ticket, comments, total)


@dataclass(frozen=True)
class TicketQuery:
    """A search for tickets: which ones, in which order, from where, how many."""

    filter: TicketFilter
    sort: Sequence[SortKey]
    after: Optional[Sequence]  # the sort values of the last ticket of the previous page
    limit: int
    with_history: bool = False


@dataclass
class TicketPage:
    tickets: list[ListedTicket]
    next_after: Optional[list]  # the last ticket's sort values, when more tickets follow
    total: Optional[int]  # None when counting would have taken longer than the budget
    histories: Optional[dict[int, list]] = None  # with_history: each listed ticket's newest entries


def find_tickets(uow: UnitOfWork, query: TicketQuery, budget: CountBudget) -> TicketPage:
    """One keyset page of the tickets that match, in order, and the exact total if it is cheap enough."""
    f = query.filter
    if f.q is not None and (problem := search_problem(f.q)):
        raise RuleBroken({"q": problem})
    with uow:
        if f.statuses:
            _require_known_statuses(uow, f.statuses)
        rows, total = uow.ticket_list.fetch_page(f, query.sort, query.after, query.limit + 1)
        if not rows and f.q is not None and not uow.ticket_list.has_words(f.q):
            # Otherwise `q=the` would answer an empty list, as if no ticket mentioned it: q was ignored, silently.
            # A broken rule, not malformed input: q is well-formed, and no schema can tell stop words apart.
            raise RuleBroken({"q": NO_WORDS})
        page = rows[: query.limit]
        next_after = cursor_values(page[-1], query.sort) if len(rows) > query.limit else None
        if total is None:
            total = uow.ticket_list.count_within(f, budget)
        ids = [t.ticket_id for t in page]
        journals = uow.history.recent_for_tickets(ids, HISTORY_EMBEDDED) if query.with_history else None
        return TicketPage(page, next_after, total, journals)


def _require_known_statuses(uow: UnitOfWork, statuses: Sequence[str]) -> None:
    # `status=open` for `Open` would otherwise match nothing, silently, like a filter that does not work.
    known = uow.workflows.status_names()
    unknown = [s for s in statuses if s not in known]
    if not unknown:
        return
    by_case = {k.casefold(): k for k in known}
    hints = [by_case[s.casefold()] for s in unknown if s.casefold() in by_case]
    hint = (
        f"did you mean {', '.join(map(repr, hints))}?"
        if hints
        else f"the statuses are {', '.join(map(repr, sorted(known)))}"
    )
    named = f"a status {unknown[0]!r}" if len(unknown) == 1 else f"the statuses {', '.join(map(repr, unknown))}"
    raise RuleBroken({"status": f"no workflow has {named}; {hint}"})


def locked(uow: UnitOfWork, ticket_id: int, precondition: Precondition) -> Ticket:
    """The ticket, row-locked for this transaction, at the version the client expects."""
    return precondition.locked("ticket", ticket_id, uow.tickets.get_for_update)


def _apply(uow: UnitOfWork, ticket: Ticket, changes: dict[str, Any]) -> Ticket:
    may_edit_ticket(uow.actor, ticket, changes)
    if "assignee" in changes and changes["assignee"] != ticket.assignee:
        changes["assignee"] = assignable(uow, changes["assignee"])
    if "due" in changes:
        changes["due_raw"] = None  # a due set through the API supersedes the unparsed legacy text
    before = snapshot(ticket)
    uow.tickets.change(ticket, changes)
    uow.journal.changed(ticket.ticket_id, before, snapshot(ticket))
    if ticket.assignee != before["assignee"]:
        auto_watch(uow, ticket.ticket_id, ticket.assignee)  # the new assignee watches; the one before still does
    return ticket


def _change(uow: UnitOfWork, ticket_id: int, changes: dict[str, Any], precondition: Precondition) -> Ticket:
    with uow:
        ticket = _apply(uow, locked(uow, ticket_id, precondition), changes)
        uow.commit()
        return ticket


def edit_ticket(uow: UnitOfWork, ticket_id: int, patch: TicketPatch, precondition: Precondition) -> Ticket:
    return _change(uow, ticket_id, patch.changes(), precondition)


def replace_ticket(uow: UnitOfWork, ticket_id: int, data: TicketReplace, precondition: Precondition) -> Ticket:
    """Every editable field takes the given value, or null when left out."""
    return _change(uow, ticket_id, data.fields(), precondition)


def delete_ticket(uow: UnitOfWork, ticket_id: int, precondition: Precondition) -> None:
    with uow:
        ticket = locked(uow, ticket_id, precondition)
        uow.journal.add(ticket_id, "deleted", old=snapshot(ticket))
        uow.tickets.delete(ticket_id)
        uow.commit()


def bulk_edit(uow: UnitOfWork, items: Sequence[Any]) -> list[Ticket]:
    """Apply every item, or none: the first failing item is named, and nothing is written."""
    if not 1 <= len(items) <= BULK_MAX:
        raise InvalidInput({"items": f"send 1 to {BULK_MAX} items"})
    with uow:
        # One query locks them all, in one order for every writer: no deadlocks.
        tickets = uow.tickets.lock_many(sorted({item.ticket_id for item in items}))
        done = []
        for index, item in enumerate(items):
            ticket = tickets.get(item.ticket_id)
            try:
                if ticket is None:
                    raise NotFound("ticket", item.ticket_id)
                Precondition.at(item.version).check("ticket", item.ticket_id, ticket.version)
            except (NotFound, VersionMismatch) as cause:
                raise BulkItemFailed(index, item.ticket_id, cause) from None
            done.append(_apply(uow, ticket, item.changes.changes()))
        uow.commit()
        return done
