"""Workflows: named sets of statuses with the moves allowed between them, and moving tickets along them."""

from typing import Optional

from iris.errors import Conflict, RuleBroken, found
from iris.models import Ticket, WorkflowTransition
from iris.repositories.workflows import Definition
from iris.schemas import TransitionRequest, WorkflowDefinition
from iris.services.preconditions import Precondition
from iris.services.rights import author_of, may_move
from iris.services.tickets import TicketWithComments, get_ticket, locked, with_comments
from iris.services.unit_of_work import UnitOfWork
from iris.services.workflow_rules import check_definition


def list_workflows(uow: UnitOfWork, *, after: Optional[str], limit: int) -> tuple[list[Definition], bool]:
    """A page of workflows in name order (byte order), and whether more follow."""
    with uow:
        names = uow.workflows.names(after=after, limit=limit + 1)
        found = uow.workflows.get_many(names[:limit])
        return [found[name] for name in names[:limit]], len(names) > limit


def get_workflow(uow: UnitOfWork, name: str) -> Definition:
    with uow:
        return found(uow.workflows.get(name), "workflow", name)


def put_workflow(
    uow: UnitOfWork, name: str, data: WorkflowDefinition, precondition: Precondition
) -> tuple[Definition, bool]:
    """Create or replace workflow `name`; returns it and whether it is new. Only replacing needs a precondition."""
    transitions = check_definition(data)
    with uow:
        uow.workflows.lock(name)
        existing = uow.workflows.get(name)
        if existing is not None:
            precondition.check("workflow", name, existing.version)
            _refuse_removing_statuses_in_use(uow, existing, data)
        uow.workflows.replace(name, data.initial, data.statuses, set(data.closed), transitions)
        stored = uow.workflows.get(name)
        uow.commit()
        return stored, existing is None


def _refuse_removing_statuses_in_use(uow: UnitOfWork, existing: Definition, data: WorkflowDefinition) -> None:
    removed = [s for s in existing.statuses if s not in set(data.statuses)]
    in_use = uow.workflows.tickets_in(existing.name, removed) if removed else {}
    if in_use:
        described = ", ".join(f"{count} ticket(s) in {status!r}" for status, count in sorted(in_use.items()))
        raise Conflict({"statuses": f"cannot remove statuses that tickets are still in: {described}; move them first"})


def allowed_moves(uow: UnitOfWork, ticket_id: int) -> tuple[Ticket, Definition]:
    with uow:
        ticket = get_ticket(uow, ticket_id)
        return ticket, uow.workflows.get(ticket.workflow)


def move_ticket(
    uow: UnitOfWork, ticket_id: int, request: TransitionRequest, precondition: Precondition
) -> TicketWithComments:
    """Move the ticket along its workflow (and store the comment, if any) in one transaction.

    The ticket row is locked first, so a concurrent move waits and is then judged against the
    status this one left, never against the stale one it read.
    """
    with uow:
        ticket = locked(uow, ticket_id, precondition)
        may_move(uow.actor, ticket)
        chosen = _chosen_move(uow.workflows.get(ticket.workflow), ticket.status, request)
        uow.journal.add(ticket_id, "transition", "status", ticket.status, chosen.to_status)
        if request.comment is not None:
            author = author_of(uow.actor, request.author if "author" in request.model_fields_set else None)
            comment = uow.comments.add(ticket_id, request.comment, author)
            new = {"comment_id": comment.comment_id, "body": comment.body}
            uow.journal.add(ticket_id, "comment_added", "comments", new=new)
        uow.tickets.change(ticket, {"status": chosen.to_status})  # reads back the version the comment bumped too
        moved = with_comments(uow, ticket)
        uow.commit()
        return moved


def _chosen_move(definition: Definition, status: str, request: TransitionRequest) -> WorkflowTransition:
    """The move `request` asks for, or RuleBroken listing the moves allowed from `status`."""
    moves = definition.moves_from(status)
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
        raise RuleBroken({"transition": f"cannot move from {status!r} to {target}; allowed: {names}"}, allowed=allowed)
    return chosen
