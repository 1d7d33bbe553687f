"""Idempotency keys: a create and the record of its answer commit together, so a retry gets that answer.

The key row is claimed first, in the create's own transaction: a concurrent retry with the same key
waits on it, then finds the finished answer (or, if the first attempt rolled back, claims it itself).
"""

from dataclasses import dataclass
from typing import Callable, Generic, Optional, TypeVar, Union

from iris.errors import RuleBroken
from iris.repositories.idempotency_keys import KeptAnswer
from iris.services.unit_of_work import UnitOfWork

T = TypeVar("T")


@dataclass(frozen=True)
class KeyUse:
    """A create's Idempotency-Key, what the request asked for, and how to keep the answer to give again."""

    key: str
    fingerprint: str  # of the request, so the key cannot be reused for another one
    ttl_hours: int
    keep: Callable[[object], KeptAnswer]  # from what the create made to the answer its retries get


@dataclass(frozen=True)
class Created(Generic[T]):
    """What a create made, just now."""

    item: T


@dataclass(frozen=True)
class Replayed:
    """A retry of a create that was done before: the first answer, as it was kept."""

    answer: KeptAnswer


def create_once(uow: UnitOfWork, use: Optional[KeyUse], create: Callable[[], T]) -> Union[Created[T], Replayed]:
    """Inside `uow`: run `create` once per key, commit it with the answer to keep, and return what it made."""
    if use is not None:
        kept = _claim(uow, use)
        if kept is not None:
            return Replayed(kept)  # leaving the unit of work undoes the attempt to claim
    item = create()
    if use is not None:
        uow.idempotency_keys.keep(uow.actor.username, use.key, use.keep(item))
    uow.commit()
    return Created(item)


def _claim(uow: UnitOfWork, use: KeyUse) -> Optional[KeptAnswer]:
    """Own the key for this transaction, or return the answer it already has. Keys are the caller's own:
    two users may use the same key, and neither learns anything of the other's."""
    keys, scope = uow.idempotency_keys, uow.actor.username
    for _ in range(2):
        if keys.claim(scope, use.key, use.fingerprint):
            return None
        record = keys.find(scope, use.key, use.ttl_hours)
        if not record.expired:
            if record.fingerprint != use.fingerprint:
                raise RuleBroken({"Idempotency-Key": "was already used with a different request; use a new key"})
            return record.answer
        keys.forget(scope, use.key)
    raise RuntimeError("could not claim an idempotency key")  # unreachable: the expired row was just deleted


def purge_expired(uow: UnitOfWork, ttl_hours: int) -> int:
    """Delete keys older than `ttl_hours`; returns how many went."""
    with uow:
        removed = uow.idempotency_keys.purge(ttl_hours)
        uow.commit()
        return removed
