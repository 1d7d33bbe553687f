"""User use cases: who I am, listing and reading users, creating them, changing them (never deleting)."""

from typing import Any, Optional, Sequence

from email_validator import EmailNotValidError, validate_email

from iris.errors import Conflict, Forbidden, RuleBroken, found
from iris.models import User
from iris.services.identity import ANONYMOUS
from iris.services.unit_of_work import UnitOfWork

ADMIN_FIELDS = {"role", "active"}  # what only an admin may change, even of themself
OWN_FIELDS = {"display_name", "email"}  # what a user may change of themself


def assignable(uow: UnitOfWork, name: Optional[str]) -> Optional[str]:
    """The username to assign: an active user's (whatever case `name` has); when placeholders are on
    (IRIS_AUTH=open), an unknown name gets an inactive, tokenless account, and inactive ones will do."""
    if name is None:
        return None
    user = uow.users.get(name)
    if user is not None and (user.active or uow.placeholders):
        return user.username
    if user is None and uow.placeholders:
        uow.users.add_placeholder(name)
        return name
    raise RuleBroken({"assignee": f"there is no active user named {name!r}"})


def get_user(uow: UnitOfWork, username: str) -> User:
    with uow:
        return existing_user(uow, username)


def list_users(
    uow: UnitOfWork, *, after: Optional[int], limit: int, roles: Sequence[str] = (), active: Optional[bool] = None
) -> tuple[Sequence[User], bool]:
    with uow:
        rows = uow.users.page(after=after, limit=limit + 1, roles=roles, active=active)
        return rows[:limit], len(rows) > limit


def create_user(uow: UnitOfWork, fields: dict[str, Any]) -> User:
    """A new user (admins only, by route); a username or email already in use, whatever the case, is a 409."""
    fields = {**fields, "email": checked_email(fields.get("email"))}
    with uow:
        _refuse_taken(uow, fields["username"], fields.get("email"))
        user = uow.users.add(**fields)
        uow.commit()
        return user


def change_user(uow: UnitOfWork, username: str, changes: dict[str, Any]) -> User:
    """Admins change anyone's role and active flag; a user changes their own display name and email."""
    actor = uow.actor
    if username.lower() == ANONYMOUS.username:
        raise RuleBroken({"username": "the built-in `anonymous` account cannot be changed or activated"})
    if "email" in changes:
        changes = {**changes, "email": checked_email(changes["email"])}
    with uow:
        user = existing_user(uow, username)
        if not actor.is_at_least("admin"):
            if user.username != actor.username:
                raise Forbidden("the admin role to change another user")
            if set(changes) & ADMIN_FIELDS:
                raise Forbidden("the admin role to change a role or deactivate")
        if changes.get("email") is not None and (other := uow.users.with_email(changes["email"])) not in (None, user):
            raise Conflict({"email": f"{other.email!r} is already in use"})
        uow.users.change(user, changes)
        if changes.get("active") is False:
            uow.web_sessions.end_for_user(user.user_id)  # checked on every request anyway; gone for good
        uow.commit()
        return user


def existing_user(uow: UnitOfWork, username: str) -> User:
    return found(uow.users.get(username), "user", username)


def checked_email(email: Optional[str]) -> Optional[str]:
    """The address in its normal form; local domains (`.local`, `.internal`) are fine for a self-hosted team."""
    if email is None:
        return None
    try:
        return validate_email(email, check_deliverability=False, globally_deliverable=False).normalized
    except EmailNotValidError as exc:
        raise RuleBroken({"email": f"is not a valid e-mail address: {exc}"}) from None


def _refuse_taken(uow: UnitOfWork, username: str, email: Optional[str]) -> None:
    if uow.users.get(username) is not None:
        raise Conflict({"username": f"{username!r} is already in use (names are compared whatever their case)"})
    if email is not None and uow.users.with_email(email) is not None:
        raise Conflict({"email": f"{email!r} is already in use"})
