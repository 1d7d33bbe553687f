"""Passwords for signing in to the web page: Argon2id hashes through argon2-cffi, set and checked.

argon2-cffi's defaults are RFC 9106's second recommended choice (Argon2id, 3 passes over 64 MiB, 4 lanes);
a hash made with older parameters is replaced on the next successful sign-in. The clear text is never
stored or logged: only the PHC string (`$argon2id$v=19$m=65536,t=3,p=4$salt$hash`) is kept.
"""

import sys
from functools import lru_cache
from typing import Callable, Optional, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from iris.errors import RuleBroken
from iris.models import User
from iris.services.identity import ANONYMOUS
from iris.services.unit_of_work import UnitOfWork
from iris.services.users import existing_user

MIN_LENGTH = 10
MAX_LENGTH = 1024  # hashing time grows with the length; nobody types more
HASHER = PasswordHasher()
HASHES_AT_ONCE = 2  # per worker
T = TypeVar("T")
_turns = None


@lru_cache(maxsize=1)
def _nobodys_hash() -> str:
    """Checked against when there is no user (or no password): a sign-in that fails for any reason takes the
    same time, so the time taken does not tell whether the username exists."""
    return HASHER.hash("iris: the password of nobody at all")


def hash_password(password: str) -> str:
    return _beside_the_worker(HASHER.hash, password)


def matches(stored: Optional[str], password: str) -> bool:
    """Whether `password` is the one `stored` was made from; a missing or damaged hash matches nothing."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _beside_the_worker(HASHER.verify, stored or _nobodys_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def _beside_the_worker(function: Callable[..., T], *args) -> T:
    """Argon2 spends tens of milliseconds of CPU and 64 MiB by design; in a gevent worker (iris serve) that would
    stall every other request the worker holds. Its C code lets go of the GIL, so a native thread of gevent's
    pool runs it while the worker's other requests go on; at most HASHES_AT_ONCE at a time (the rest wait their
    turn), so a burst of sign-ins costs bounded memory and leaves the other core to the worker."""
    global _turns
    if "gevent" not in sys.modules:
        return function(*args)
    from gevent import get_hub, lock, monkey

    if not monkey.is_module_patched("socket"):
        return function(*args)
    _turns = _turns or lock.BoundedSemaphore(HASHES_AT_ONCE)  # made in the worker, after gunicorn forked
    with _turns:
        return get_hub().threadpool.apply(function, args)


def needs_rehash(stored: str) -> bool:
    return HASHER.check_needs_rehash(stored)


def check_new_password(password: str, username: str) -> None:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise RuleBroken({"password": f"must be {MIN_LENGTH} to {MAX_LENGTH} characters"})
    if not password.strip() or password.strip().lower() == username.lower():
        raise RuleBroken({"password": "must not be blank or the username"})


def set_password(uow: UnitOfWork, username: str, password: str, current: Optional[str] = None) -> User:
    """Admins set anyone's password; users set their own, giving their current one when they have one.

    Every session of the user ends, but the one the change was made from (uow.actor.session_id)."""
    check_new_password(password, username)
    if username.lower() == ANONYMOUS.username:
        raise RuleBroken({"username": "the built-in `anonymous` account cannot sign in"})
    new_hash = hash_password(password)  # before the transaction: no connection is held while it is made
    with uow:
        user = existing_user(uow, username)
        own = user.username == uow.actor.username
        if not own:
            uow.actor.require("admin")
        elif user.password_hash is not None and (current is None or not matches(user.password_hash, current)):
            raise RuleBroken({"current_password": "is not your current password"})
        uow.users.change(user, {"password_hash": new_hash})
        uow.web_sessions.end_for_user(user.user_id, keep=uow.actor.session_id)
        uow.commit()
        return user
