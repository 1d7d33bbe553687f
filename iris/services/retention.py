"""Keeping the inbox and the delivery log from growing for ever: what is older than its retention goes.

Run daily by the worker (iris.purge_old) and by `iris purge-keys`. Each batch is its own short transaction, so a
large first purge never holds locks for long.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from iris.services.unit_of_work import UnitOfWork

BATCH = 5000


@dataclass(frozen=True)
class Kept:
    delivery_days: int  # finished webhook deliveries (and their attempts) older than this go
    notification_days: int  # inbox entries older than this go


@dataclass(frozen=True)
class Purged:
    deliveries: int
    notifications: int


def purge_old(units: Callable[[], UnitOfWork], kept: Kept, now: datetime) -> Purged:
    deliveries = _in_batches(
        units, lambda uow: uow.retention.drop_deliveries(now - timedelta(kept.delivery_days), BATCH)
    )
    notifications = _in_batches(
        units, lambda uow: uow.retention.drop_notifications(now - timedelta(kept.notification_days), BATCH)
    )
    return Purged(deliveries, notifications)


def _in_batches(units: Callable[[], UnitOfWork], drop: Callable[[UnitOfWork], int]) -> int:
    total = 0
    while True:
        with units() as uow:
            dropped = drop(uow)
            uow.commit()
        total += dropped
        if dropped < BATCH:
            return total
