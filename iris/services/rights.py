"""Record-level rights: what a role allows on a particular ticket or comment.

Role-level rights (who may call a route at all) are declared with each route; these depend on
the record, so they live here and the CLI and HTTP give the same answers.
"""

from typing import Any, Optional

from iris.errors import Forbidden
from iris.models import Comment, Ticket
from iris.services.identity import Actor


def can_assign(actor: Actor) -> bool:
    return actor.is_at_least("agent")


def may_assign(actor: Actor, assignee: Optional[str], current: Optional[str] = None) -> None:
    if assignee != current and not can_assign(actor):
        raise Forbidden("the agent role to assign tickets")


def may_edit_ticket(actor: Actor, ticket: Ticket, changes: dict[str, Any]) -> None:
    """Agents edit any ticket; its reporter and its assignee edit its title, description and due."""
    if actor.is_at_least("agent"):
        return
    if "assignee" in changes:
        may_assign(actor, changes["assignee"], ticket.assignee)
    if actor.username not in (ticket.reporter, ticket.assignee):
        raise Forbidden("the agent role, or to be the ticket's reporter or assignee")


def may_move(actor: Actor, ticket: Ticket) -> None:
    if not actor.is_at_least("agent") and actor.username != ticket.assignee:
        raise Forbidden("the agent role, or to be the ticket's assignee")


def may_change_comment(actor: Actor, comment: Comment) -> None:
    if not actor.is_at_least("agent") and actor.username != comment.author:
        raise Forbidden("the agent role, or to be the comment's author")


def author_of(actor: Actor, given: Optional[str]) -> str:
    """Who wrote a comment: the caller, unless an admin (importing, say) names someone else."""
    if given is None or given == actor.username:
        return actor.username
    if not actor.is_at_least("admin"):
        raise Forbidden("the admin role to set another author")
    return given
