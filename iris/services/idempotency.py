"""Idempotency-Key: a create and the record of its answer commit together, so a retry gets that answer.

The key row is claimed first, in the create's own transaction: a concurrent retry with the same key
waits on it, then finds the finished answer (or, if the first attempt rolled back, claims it itself).
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from iris.errors import RuleBroken
from iris.models import IdempotencyKey

GLOBAL_SCOPE = "-"  # one scope for everybody until iris has client identities


@dataclass(frozen=True)
class KeyUse:
    key: str
    fingerprint: str
    ttl_hours: int
    scope: str = GLOBAL_SCOPE


@dataclass
class Created:
    """What a create answers: replayed verbatim to retries that carry the same key."""

    status: int
    body: dict[str, Any]
    location: Optional[str]
    replayed: bool = False


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim(session: Session, use: KeyUse) -> Optional[Created]:
    """Own the key for this transaction, or return the answer it already has."""
    for _ in range(2):
        claimed = session.execute(
            insert(IdempotencyKey)
            .values(scope=use.scope, key=use.key, fingerprint=use.fingerprint, status=0, body={})
            .on_conflict_do_nothing()
            .returning(IdempotencyKey.key)
        ).first()
        if claimed:
            return None
        row = session.scalars(select(IdempotencyKey).where(IdempotencyKey.scope == use.scope, IdempotencyKey.key == use.key)).one()
        expired = session.scalar(select(row.created < func.now() - text(f"interval '{int(use.ttl_hours)} hours'")))
        if not expired:
            if row.fingerprint != use.fingerprint:
                raise RuleBroken({"Idempotency-Key": "was already used with a different request; use a new key"})
            return Created(row.status, row.body, row.location, replayed=True)
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.scope == use.scope, IdempotencyKey.key == use.key))
    raise RuntimeError("could not claim an idempotency key")  # unreachable: the expired row was just deleted


def remember(session: Session, use: KeyUse, answer: Created) -> None:
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.scope == use.scope, IdempotencyKey.key == use.key)
        .values(status=answer.status, body=answer.body, location=answer.location)
    )


def create_once(session: Session, use: Optional[KeyUse], create) -> Created:
    """Run `create` (which must not commit) once per key, commit it with its answer, and return that answer."""
    if use is not None:
        replay = claim(session, use)
        if replay is not None:
            session.rollback()
            return replay
    answer = create()
    if use is not None:
        remember(session, use, answer)
    session.commit()
    return answer


def purge_expired(session: Session, ttl_hours: int) -> int:
    """Delete keys older than `ttl_hours`; returns how many went."""
    removed = session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created < func.now() - text(f"interval '{int(ttl_hours)} hours'"))
    ).rowcount
    session.commit()
    return removed
