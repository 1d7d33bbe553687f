"""Web sessions: signing in with a password, finding who a session's cookie stands for, signing out.

A session's secret is 32 random bytes, given to the browser once (in a signed cookie) and kept here only
as its SHA-256, as API tokens are. A session ends when it is signed out, when it has not been used for
`Lifetime.idle`, at `Lifetime.absolute` after it began whatever the use, when its user's password is
changed elsewhere, and at once when its user is deactivated (every check reads the user).
"""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Optional

from iris.errors import SignInFailed
from iris.models import USERNAME_PATTERN
from iris.services.identity import ANONYMOUS, Actor, secret_hash
from iris.services.passwords import hash_password, matches, needs_rehash
from iris.services.unit_of_work import UnitOfWork

SECRET_BYTES = 32
LAST_SEEN_EVERY = timedelta(minutes=1)  # last_seen is written at most this often per session
_USERNAME = re.compile(USERNAME_PATTERN)


@dataclass(frozen=True)
class Lifetime:
    idle: timedelta
    absolute: timedelta

    @classmethod
    def of(cls, idle_minutes: int, max_hours: int) -> "Lifetime":
        return cls(timedelta(minutes=idle_minutes), timedelta(hours=max_hours))


@dataclass(frozen=True)
class Started:
    secret: str  # for the cookie; never stored
    actor: Actor
    expires: datetime


@dataclass(frozen=True)
class Found:
    actor: Actor
    stale: bool  # its last_seen is due a write
    unread: int = 0  # the user's unread notifications, counted up to a bound (the page's header shows it)


@dataclass(frozen=True)
class SignIn:
    username: str
    password: str
    replacing: Optional[str] = None  # the secret of the session the browser had, which this one replaces


def sign_in(units: Callable[[], UnitOfWork], attempt: SignIn, lifetime: Lifetime, now: datetime) -> Started:
    """A new session for the active user whose password this is, or SignInFailed, whatever was wrong.

    Two units of work, and no connection held between them while the password is hashed (tens of
    milliseconds by design): one reads the user, the other starts the session. The password is hashed
    whether or not the user exists, and the user is read by one query either way, so the time taken
    tells nothing either."""
    with units().read_only() as uow:
        user = uow.users.credentials(attempt.username) if _USERNAME.match(attempt.username) else None
    stored = user.password_hash if user is not None else None
    if not matches(stored, attempt.password) or not user.active or user.username.lower() == ANONYMOUS.username:
        raise SignInFailed()
    rehashed = hash_password(attempt.password) if needs_rehash(stored) else None
    with units() as uow:
        if rehashed is not None:
            uow.users.set_password_hash(user.user_id, rehashed)
        if attempt.replacing is not None:
            uow.web_sessions.end(secret_hash(attempt.replacing))
        uow.web_sessions.end_expired(user.user_id, now, now - lifetime.idle)
        secret = secrets.token_urlsafe(SECRET_BYTES)
        record = uow.web_sessions.start(user.user_id, secret_hash(secret), now, now + lifetime.absolute)
        uow.commit()
        return Started(secret, Actor(user.username, user.role, session_id=record.session_id), record.expires)


def identify(uow: UnitOfWork, secret: str, lifetime: Lifetime, now: datetime) -> Optional[Found]:
    """Who a session stands for, or None: unknown or signed out, unused too long, past its end, or its user
    deactivated. Read in the request's own unit of work before its use case, as a token is."""
    found = uow.web_sessions.find(secret_hash(secret))
    if found is None or not found.active or found.expires <= now or found.last_seen + lifetime.idle <= now:
        return None
    stale = now - found.last_seen >= min(LAST_SEEN_EVERY, lifetime.idle / 2)
    return Found(Actor(found.username, found.role, session_id=found.session_id), stale, found.unread)


def note_use(uow: UnitOfWork, session_id: int, now: datetime) -> None:
    with uow:
        uow.web_sessions.touch(session_id, now)
        uow.commit()


def purge_ended(uow: UnitOfWork, lifetime: Lifetime, now: datetime) -> int:
    """Delete the records of sessions that have ended (past their end, or unused too long); returns how many."""
    with uow:
        removed = uow.web_sessions.purge(now, now - lifetime.idle)
        uow.commit()
        return removed


def sign_out(uow: UnitOfWork, secret: str) -> None:
    with uow:
        uow.web_sessions.end(secret_hash(secret))
        uow.commit()
