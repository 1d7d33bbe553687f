"""`iris purge-keys`: delete what has outlived its use (expired keys, ended sessions, old deliveries and inbox)."""

import sys
from datetime import datetime, timezone

from iris import migrate


def add_commands(commands) -> None:
    purge = commands.add_parser(
        "purge-keys",
        help="delete expired Idempotency-Keys, ended web sessions, old webhook deliveries and inbox entries",
        description="Delete idempotency keys older than IRIS_IDEMPOTENCY_TTL_HOURS, ended web sessions, webhook "
        "deliveries finished more than IRIS_DELIVERY_RETENTION_DAYS ago and inbox entries older than "
        "IRIS_NOTIFICATION_RETENTION_DAYS (the worker does the last two daily too).",
    )
    purge.set_defaults(handler=_purge_keys)


def _purge_keys(args, settings) -> int:
    from iris.db import one_unit_of_work
    from iris.services.idempotency import purge_expired
    from iris.services.web_sessions import Lifetime, purge_ended

    url = migrate.usable_database_url(settings)
    with one_unit_of_work(url) as uow:
        removed = purge_expired(uow, settings.idempotency_ttl_hours)
    with one_unit_of_work(url) as uow:
        lifetime = Lifetime.of(settings.session_idle_minutes, settings.session_max_hours)
        ended = purge_ended(uow, lifetime, datetime.now(timezone.utc))
    print(f"iris purge-keys: removed {removed} expired key(s) and {ended} ended web session(s)", file=sys.stderr)
    _purge_old(url, settings)
    return 0


def _purge_old(url, settings) -> None:
    from iris.db import make_engine, make_session_factory
    from iris.services.retention import Kept, purge_old
    from iris.services.unit_of_work import SqlAlchemyUnitOfWork

    d, engine = settings.delivery, make_engine(url, pool_size=1)
    try:
        factory = make_session_factory(engine)
        kept = Kept(d.delivery_retention_days, d.notification_retention_days)
        purged = purge_old(lambda: SqlAlchemyUnitOfWork(factory), kept, datetime.now(timezone.utc))
    finally:
        engine.dispose()
    print(f"iris purge-keys: removed {purged.deliveries} old webhook deliveries and {purged.notifications} old "
          "inbox entries", file=sys.stderr)  # fmt: skip
