"""Watchers: who hears about a ticket's changes (iris/services/inbox.py says what each of them hears).

Anyone may watch or unwatch a ticket themselves (`me`, or their own name); only agents and admins may add or
remove someone else. A ticket's reporter and each of its assignees watch it as they become so (`auto_watch`);
unassigning keeps the watcher. The built-in `anonymous` account (IRIS_AUTH=open without a token) is no person:
it never watches, so watching as it is refused with a pointer to sending a token.
"""

from typing import Optional

from sqlalchemy import Row

from iris.errors import Forbidden, NotFound, RuleBroken
from iris.models import User
from iris.services.identity import ANONYMOUS
from iris.services.unit_of_work import UnitOfWork

ME = "me"  # in a watcher's place: whoever calls
NO_ANONYMOUS = "the built-in `anonymous` account cannot watch tickets; send a token to act as yourself"


def auto_watch(uow: UnitOfWork, ticket_id: int, *usernames: Optional[str]) -> None:
    """The ticket's new assignee starts watching it, in the caller's unit of work (a new ticket's reporter and
    assignee watch it from the statement that opens it: `watching_names`)."""
    uow.watchers.add(ticket_id, watching_names(*usernames))


def watching_names(*usernames: Optional[str]) -> list[str]:
    """Of these, the names (lower case) that watch automatically: anyone but nobody and the `anonymous` account."""
    return sorted({name.lower() for name in usernames if name and name.lower() != ANONYMOUS.username})


def list_watchers(uow: UnitOfWork, ticket_id: int) -> list[Row]:
    with uow:
        _require_ticket(uow, ticket_id)
        return uow.watchers.of_ticket(ticket_id)


def watch(uow: UnitOfWork, ticket_id: int, username: str) -> None:
    """`username` (or `me`) watches the ticket; watching already is fine."""
    with uow:
        name = _target(uow, username)
        _require_ticket(uow, ticket_id)
        if name.lower() == ANONYMOUS.username:
            raise RuleBroken({"username": NO_ANONYMOUS})
        user = uow.users.get(name)
        if user is None or not user.active:
            raise NotFound("user", name)
        if not uow.watchers.watch(ticket_id, user.user_id):
            raise NotFound("ticket", ticket_id)
        uow.commit()


def unwatch(uow: UnitOfWork, ticket_id: int, username: str) -> None:
    """`username` (or `me`) stops watching the ticket; not watching is fine. A deactivated user can be removed."""
    with uow:
        name = _target(uow, username)
        _require_ticket(uow, ticket_id)
        user: Optional[User] = uow.users.get(name)
        if user is None:
            raise NotFound("user", name)
        uow.watchers.remove(ticket_id, user.user_id)
        uow.commit()


def _target(uow: UnitOfWork, username: str) -> str:
    """Whose watching it is: the caller for `me`; someone else only for an agent or admin."""
    actor = uow.actor
    if username == ME or username.lower() == actor.username.lower():
        return actor.username
    if not actor.is_at_least("agent"):
        raise Forbidden("the agent role to make someone else watch or unwatch a ticket")
    return username


def _require_ticket(uow: UnitOfWork, ticket_id: int) -> None:
    if not uow.tickets.exists(ticket_id):
        raise NotFound("ticket", ticket_id)
