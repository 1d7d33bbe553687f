"""API token use cases: issue one (the secret is shown once), list them (never the secret), revoke."""

from dataclasses import dataclass
from datetime import datetime
from typing import Optional, Sequence

from iris.errors import Forbidden, NotFound, RuleBroken
from iris.models import ApiToken, User
from iris.services.identity import SHOWN_PREFIX, new_secret, secret_hash
from iris.services.unit_of_work import UnitOfWork
from iris.services.users import existing_user


@dataclass(frozen=True)
class Issued:
    token: ApiToken
    secret: str  # shown to its owner this once; only its hash is kept


def issue_token(uow: UnitOfWork, username: str, name: str, expires: Optional[datetime]) -> Issued:
    """A new token for `username`: their own, or anyone's for an admin. Inactive users get none."""
    with uow:
        user = _owner(uow, username)
        if not user.active:
            raise RuleBroken({"username": f"{user.username!r} is deactivated: activate the account first"})
        secret = new_secret()
        token = uow.tokens.add(user.user_id, name, secret[:SHOWN_PREFIX], secret_hash(secret), expires)
        uow.commit()
        return Issued(token, secret)


def list_tokens(uow: UnitOfWork, username: str) -> Sequence[ApiToken]:
    with uow:
        return uow.tokens.of_user(_owner(uow, username).user_id)


def revoke_token(uow: UnitOfWork, token_id: int, now: datetime, username: Optional[str] = None) -> ApiToken:
    """Revoke a token (one of `username`'s, when given); revoking one that is revoked already changes nothing.
    Its owner may, and an admin; to anyone else it does not exist."""
    with uow:
        found = uow.tokens.get_with_user(token_id)
        if found is None or (username is not None and found[1].username.lower() != username.lower()):
            raise NotFound("token", token_id)
        token, owner = found
        if owner.username != uow.actor.username and not uow.actor.is_at_least("admin"):
            raise NotFound("token", token_id)
        revoked = uow.tokens.revoke(token, now)
        uow.commit()
        return revoked


def _owner(uow: UnitOfWork, username: str) -> User:
    """The user whose tokens these are: the actor, or anyone when the actor is an admin."""
    user = existing_user(uow, username)
    if user.username != uow.actor.username and not uow.actor.is_at_least("admin"):
        raise Forbidden("the admin role to manage another user's tokens")
    return user
