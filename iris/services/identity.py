"""Who is acting: actors and their roles, and API tokens (issued, checked, listed, revoked).

A token is `iris_` and 43 characters of base64url (32 random bytes), so secret scanners can find
leaked ones. Only its SHA-256 is stored, and SHA-256 is enough: the secret has 256 bits of
entropy, so no slow password hash is needed on the request path.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from iris.errors import Forbidden, Unauthenticated

TOKEN_PREFIX = "iris_"
SECRET_BYTES = 32
TOKEN_LENGTH = len(TOKEN_PREFIX) + 43  # 32 bytes are 43 characters of unpadded base64url
SHOWN_PREFIX = 12  # characters of a secret kept to tell tokens apart: `iris_` and 7 more
LAST_USED_EVERY = timedelta(minutes=1)  # last_used is written at most this often per token
ROLE_ORDER = {"reporter": 1, "agent": 2, "admin": 3}


@dataclass(frozen=True)
class Actor:
    """Who a use case acts for: the journal's actor, and whose rights apply."""

    username: str
    role: str
    token_id: Optional[int] = None  # the token it authenticated with, if any
    session_id: Optional[int] = None  # the web page's session it acts in, if any

    def is_at_least(self, role: str) -> bool:
        return ROLE_ORDER[self.role] >= ROLE_ORDER[role]

    def require(self, role: str) -> None:
        if not self.is_at_least(role):
            raise Forbidden(f"the {role} role")


# Requests without a token when IRIS_AUTH=open, and the `iris` command: a local admin.
ANONYMOUS = Actor("anonymous", "admin")


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def secret_hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


def looks_like_a_token(secret: str) -> bool:
    return len(secret) == TOKEN_LENGTH and secret.startswith(TOKEN_PREFIX) and secret.isascii()


@dataclass(frozen=True)
class Identified:
    actor: Actor
    expires: Optional[datetime]
    stale: bool  # its last_used is due a write


def identify(uow, secret: str, now: datetime) -> Identified:
    """The actor a bearer token stands for (or Unauthenticated), when it expires, and whether its
    last_used is due a write.

    Read in the request's own unit of work before its use case begins, so checking a token costs one
    indexed query and no connection of its own.
    """
    if not looks_like_a_token(secret):
        raise Unauthenticated()
    found = uow.tokens.find(secret_hash(secret))
    if found is None:
        raise Unauthenticated()
    token, user = found
    if token.revoked is not None or (token.expires is not None and token.expires <= now) or not user.active:
        raise Unauthenticated()
    stale = token.last_used is None or now - token.last_used >= LAST_USED_EVERY
    return Identified(Actor(user.username, user.role, token.token_id), token.expires, stale)


def note_use(uow, token_id: int, now: datetime) -> None:
    """Write a token's last_used (at most once a minute, so never a write on every request)."""
    with uow:
        uow.tokens.touch(token_id, now)
        uow.commit()
