"""Workflows: named sets of statuses with the moves allowed between them, and moving tickets along them."""

from collections import deque
from typing import Optional, Sequence

from sqlalchemy.orm import Session

from iris.errors import Conflict, NotFound, PreconditionRequired, RuleBroken, VersionMismatch
from iris.models import Comment, Ticket
from iris.repositories.comments import CommentRepository
from iris.repositories.tickets import TicketRepository
from iris.repositories.workflows import Definition, WorkflowRepository
from iris.schemas import TransitionRequest, WorkflowDefinition
from iris.services.journal import ANONYMOUS, Changeset
from iris.services.tickets import get_ticket_detail, locked


def list_workflows(session: Session) -> list[Definition]:
    repo = WorkflowRepository(session)
    found = repo.get_many(repo.names())
    return [found[name] for name in sorted(found)]


def get_workflow(session: Session, name: str) -> Definition:
    definition = WorkflowRepository(session).get(name)
    if definition is None:
        raise NotFound("workflow", name)
    return definition


def check_definition(data: WorkflowDefinition) -> list[tuple[str, str, str]]:
    """The definition's transitions as (name, from, to), or RuleBroken saying what is wrong with it."""
    statuses = list(data.statuses)
    known = set(statuses)
    problems: dict[str, str] = {}
    if not statuses:
        problems["statuses"] = "a workflow needs at least one status"
    elif len(known) != len(statuses):
        problems["statuses"] = "each status may be listed only once"
    if data.initial is None:
        problems["initial"] = "a workflow needs an initial status"
    elif data.initial not in known:
        problems["initial"] = f"initial status {data.initial!r} is not one of the statuses"
    if not set(data.closed) <= known:
        problems["closed"] = f"unknown status(es): {sorted(set(data.closed) - known)}"
    transitions = [(t.name, t.from_, t.to) for t in data.transitions]
    bad = sorted({s for _, f, t in transitions for s in (f, t) if s not in known})
    if bad:
        problems["transitions"] = f"transition to or from an unknown status: {bad}"
    elif any(f == t for _, f, t in transitions):
        problems["transitions"] = "a transition must lead to another status"
    elif len({(f, t) for _, f, t in transitions}) != len(transitions):
        problems["transitions"] = "each move from one status to another may be defined only once"
    elif len({(n, f) for n, f, _ in transitions}) != len(transitions):
        problems["transitions"] = "transition names must be unique among the moves out of a status"
    if not problems and data.initial is not None:
        unreachable = [s for s in statuses if s not in _reachable(data.initial, transitions)]
        if unreachable:
            problems["statuses"] = f"not reachable from the initial status {data.initial!r}: {unreachable}"
    if problems:
        raise RuleBroken(problems)
    return transitions


def _reachable(start: str, transitions: Sequence[tuple[str, str, str]]) -> set[str]:
    seen, queue = {start}, deque([start])
    while queue:
        current = queue.popleft()
        for _, f, t in transitions:
            if f == current and t not in seen:
                seen.add(t)
                queue.append(t)
    return seen


def put_workflow(
    session: Session, name: str, data: WorkflowDefinition, expected_version: Optional[int], require: bool = False
) -> tuple[Definition, bool]:
    """Create or replace workflow `name`; returns it and whether it is new.

    `require`: the client gave no precondition although one is needed to replace an existing workflow.
    """
    transitions = check_definition(data)
    repo = WorkflowRepository(session)
    repo.lock(name)
    existing = repo.get(name)
    if existing is not None and expected_version is None and require:
        raise PreconditionRequired("workflow")
    if existing is not None:
        VersionMismatch.check("workflow", name, existing.version, expected_version)
    if existing is not None:
        removed = [s for s in existing.statuses if s not in set(data.statuses)]
        in_use = repo.tickets_in(name, removed) if removed else {}
        if in_use:
            described = ", ".join(f"{count} ticket(s) in {status!r}" for status, count in sorted(in_use.items()))
            raise Conflict({"statuses": f"cannot remove statuses that tickets are still in: {described}; move them first"})
    repo.replace(name, data.initial, data.statuses, set(data.closed), transitions)
    session.commit()
    return repo.get(name), existing is None


def allowed_moves(session: Session, ticket_id: int) -> tuple[Ticket, Definition]:
    ticket = TicketRepository(session).get(ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    return ticket, WorkflowRepository(session).get(ticket.workflow)


def move_ticket(
    session: Session, ticket_id: int, request: TransitionRequest, expected_version: Optional[int] = None, actor: str = ANONYMOUS
) -> tuple[Ticket, list[Comment], int]:
    """Move the ticket along its workflow (and store the comment, if any) in one transaction.

    Returns the moved ticket as `get_ticket_detail` does.

    The ticket row is locked first, so a concurrent move waits and is then judged against the
    status this one left, never against the stale one it read.
    """
    ticket = locked(session, ticket_id, expected_version)
    definition = WorkflowRepository(session).get(ticket.workflow)
    moves = definition.moves_from(ticket.status)
    allowed = [{"name": t.name, "to": t.to_status} for t in moves]
    if request.to is not None:
        if request.to not in definition.statuses:
            raise RuleBroken({"to": f"{request.to!r} is not a status of workflow {definition.name!r}"}, allowed=allowed)
        chosen = next((t for t in moves if t.to_status == request.to), None)
    else:
        chosen = next((t for t in moves if t.name == request.transition), None)
    if chosen is None:
        target = repr(request.to) if request.to is not None else f"by {request.transition!r}"
        names = ", ".join(f"{m['name']} -> {m['to']}" for m in allowed) or "none"
        raise RuleBroken({"transition": f"cannot move from {ticket.status!r} to {target}; allowed: {names}"}, allowed=allowed)
    journal = Changeset(actor)
    journal.add(ticket_id, "transition", "status", ticket.status, chosen.to_status)
    ticket.status = chosen.to_status
    if request.comment is not None:
        comment = CommentRepository(session).add(ticket_id, request.comment, request.author)
        journal.add(ticket_id, "comment_added", "comments", new={"comment_id": comment.comment_id, "body": comment.body})
    session.flush()
    session.refresh(ticket)  # version and updated, set by the trigger
    journal.save(session)
    session.commit()
    return get_ticket_detail(session, ticket_id)
