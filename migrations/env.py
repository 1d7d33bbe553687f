"""Alembic environment: the URL comes from iris's own settings, and only one migrator runs at a time."""

import logging
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, text

from iris.config import load_settings
from iris.migrate import MIGRATION_LOCK_KEY, resolve_url
from iris.models import Base

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging_config"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

log = logging.getLogger("alembic.env")
# Tests pass another MetaData to prove that `alembic check` notices a model change without a migration.
target_metadata = config.attributes.get("target_metadata", Base.metadata)


def _ours(name, type_, parent_names) -> bool:
    """procrastinate's tables (revision 0025) are its own schema, not our models: `alembic check` leaves them be."""
    return not (type_ == "table" and name and name.startswith("procrastinate_"))


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=True,
        include_name=_ours,
    )


def _migrate(connection) -> None:
    """Run the migrations on `connection` while holding the cluster-wide migration lock.

    The advisory lock is taken before Alembic reads the current revision, so two iris instances that
    start together run one after the other, and the second finds nothing left to do.
    """
    lock_timeout = config.attributes.get("lock_timeout") or load_settings().migration_lock_timeout
    connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
    connection.commit()
    try:
        # A migration that waits behind a long transaction fails clearly instead of hanging.
        connection.execute(text("SELECT set_config('lock_timeout', :t, false)"), {"t": lock_timeout})
        connection.execute(text("SET statement_timeout = 0"))
        connection.commit()
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        connection.rollback()
        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
        connection.execute(text("RESET lock_timeout"))
        connection.commit()


def run_migrations_offline() -> None:
    context.configure(url=resolve_url(config), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = create_engine(resolve_url(config), pool_pre_ping=True)
    try:
        with engine.connect() as connection:
            _migrate(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
