"""Idempotency keys: claiming one, keeping the first answer given with it, and purging old ones."""

from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from iris.models import IdempotencyKey


@dataclass(frozen=True)
class KeptAnswer:
    """The first answer to a create sent with a key, replayed verbatim to its retries; what it holds is the
    caller's business (the HTTP layer keeps its status, body and Location)."""

    status: int
    body: dict[str, Any]
    location: Optional[str]


@dataclass(frozen=True)
class KeyRecord:
    fingerprint: str
    answer: KeptAnswer
    expired: bool


class IdempotencyKeyRepository:
    def __init__(self, session: Session):
        self.session = session

    def claim(self, scope: str, key: str, fingerprint: str) -> bool:
        """Insert the key for this transaction; False when it is there already (a concurrent claimer makes
        this wait for its transaction to end)."""
        claimed = self.session.execute(
            insert(IdempotencyKey)
            .values(scope=scope, key=key, fingerprint=fingerprint, status=0, body={})
            .on_conflict_do_nothing()
            .returning(IdempotencyKey.key)
        ).first()
        return claimed is not None

    def find(self, scope: str, key: str, ttl_hours: int) -> KeyRecord:
        row = self.session.execute(
            select(IdempotencyKey, IdempotencyKey.created < _expiry(ttl_hours)).where(*_the_key(scope, key))
        ).one()
        kept, expired = row
        return KeyRecord(kept.fingerprint, KeptAnswer(kept.status, kept.body, kept.location), expired)

    def keep(self, scope: str, key: str, answer: KeptAnswer) -> None:
        self.session.execute(
            update(IdempotencyKey)
            .where(*_the_key(scope, key))
            .values(status=answer.status, body=answer.body, location=answer.location)
        )

    def forget(self, scope: str, key: str) -> None:
        self.session.execute(delete(IdempotencyKey).where(*_the_key(scope, key)))

    def purge(self, ttl_hours: int) -> int:
        """Delete keys older than `ttl_hours`; returns how many went."""
        return self.session.execute(delete(IdempotencyKey).where(IdempotencyKey.created < _expiry(ttl_hours))).rowcount


def _the_key(scope: str, key: str):
    return IdempotencyKey.scope == scope, IdempotencyKey.key == key


def _expiry(ttl_hours: int):
    return func.now() - text(f"interval '{int(ttl_hours)} hours'")
