"""A ticket as its page shows it: the ticket, its comments, its watchers, its history, the moves allowed from its
status, and what the reader may do with it (by the same rules the use cases apply)."""

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from iris.errors import Forbidden, found
from iris.models import Comment, TicketHistory, WorkflowTransition
from iris.repositories.tickets import WatcherName
from iris.services.identity import ANONYMOUS
from iris.services.rights import can_assign, may_edit_ticket, may_move
from iris.services.tickets import RECENT_COMMENTS, TicketWithComments
from iris.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Pages:
    """Which comments and history entries: the most recent comments (`comments_after` None) or a page of all
    of them from the start, and the journal from the start, a page at a time."""

    comments_after: Optional[int] = None
    history_after: Optional[int] = None
    limit: int = 50


@dataclass(frozen=True)
class TicketView:
    detail: TicketWithComments
    moves: list[WorkflowTransition]
    comments: Sequence[Comment]  # what the page lists: the recent ones, or a page from the start
    more_comments: bool  # a page from the start: whether more follow
    history: Sequence[TicketHistory]
    more_history: bool
    may_edit: bool
    may_move: bool
    may_assign: bool
    watchers: Sequence[WatcherName] = ()  # longest-standing first
    watching: bool = False  # whether the reader is among them
    may_watch: bool = False  # anyone but the built-in `anonymous` (open mode), which is nobody to tell


def ticket_view(uow: UnitOfWork, ticket_id: int, pages: Pages) -> TicketView:
    with uow.read_only():
        # The watchers come in the ticket's own statement: the page costs no more round trips for them.
        *read, watchers = found(uow.tickets.for_page(ticket_id, RECENT_COMMENTS), "ticket", ticket_id)
        detail = TicketWithComments(*read)
        ticket, actor = detail.ticket, uow.actor
        history = uow.history.page(ticket_id, after=pages.history_after, limit=pages.limit + 1)
        comments, more_comments = detail.comments, False
        if pages.comments_after is not None:
            listed = uow.comments.page(ticket_id, after=pages.comments_after, limit=pages.limit + 1)
            comments, more_comments = listed[: pages.limit], len(listed) > pages.limit
        return TicketView(
            detail,
            list(uow.workflows.moves_from(ticket.workflow, ticket.status)),
            comments,
            more_comments,
            history[: pages.limit],
            len(history) > pages.limit,
            may_edit=_allowed(lambda: may_edit_ticket(actor, ticket, {"title": ticket.title})),
            may_move=_allowed(lambda: may_move(actor, ticket)),
            may_assign=can_assign(actor),
            watchers=watchers,
            watching=any(w.username.lower() == actor.username.lower() for w in watchers),
            may_watch=actor.username.lower() != ANONYMOUS.username,
        )


def _allowed(check: Callable[[], None]) -> bool:
    try:
        check()
    except Forbidden:
        return False
    return True
