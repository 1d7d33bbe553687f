"""Engine and sessions. Nothing here runs at import time; the app factory and the CLI call it."""

import select
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from iris.services.unit_of_work import SqlAlchemyUnitOfWork


def make_engine(
    url: URL, *, connect_timeout_s: int = 5, statement_timeout_ms: int = 15000, pool_size: int = 5
) -> Engine:
    """An engine whose every wait is bounded: connecting, each statement, and dead peers (TCP keepalives)."""
    connect_args = {
        "connect_timeout": connect_timeout_s,
        "options": f"-c statement_timeout={statement_timeout_ms}",
        "application_name": "iris",
    }
    if url.host:  # keepalives only mean something over TCP
        connect_args.update(keepalives=1, keepalives_idle=30, keepalives_interval=10, keepalives_count=3)
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=connect_timeout_s,
        connect_args=connect_args,
        hide_parameters=True,  # bound values are user text (and tokens' hashes): never in logs or errors
    )
    event.listen(engine.pool, "checkout", discard_if_ended_by_server)
    return engine


def discard_if_ended_by_server(dbapi_connection, connection_record, connection_proxy) -> None:
    """What pool_pre_ping is for (a restart, pg_terminate_backend, an idle timeout on the server) without its
    `SELECT 1` round trip on every checkout: a pooled connection has no query in flight, so anything readable
    on its socket is the server's goodbye (a FATAL message, or end of file), found by a poll that returns at
    once. The pool then opens a new connection in its place. A peer that vanished without a word is left to
    TCP keepalives and the statement timeout (a 503 for that request)."""
    if dbapi_connection.closed:
        raise DisconnectionError("the connection is closed")
    poll = select.poll()  # not select.select: it cannot take a file number past 1023, which a busy worker has
    poll.register(dbapi_connection.fileno(), select.POLLIN)
    if poll.poll(0):
        raise DisconnectionError("the server ended this connection")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: services return objects that are serialised after their commit.
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def one_unit_of_work(url: URL, placeholders: bool = True, **engine_options) -> Iterator[SqlAlchemyUnitOfWork]:
    """A unit of work on its own one-connection engine, for a command that does one use case and exits.

    The command acts as the local admin; `placeholders` follows IRIS_AUTH as over HTTP (an unknown
    assignee is a placeholder account when it is open, refused when it is required)."""
    engine = make_engine(url, pool_size=1, **engine_options)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine), placeholders=placeholders)
    try:
        yield uow
    finally:
        uow.close()
        engine.dispose()


def driver_message(exc: Exception) -> str:
    """The driver's own first line (e.g. "connection to server at ... failed: Connection refused"), not
    SQLAlchemy's wrapping."""
    return (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
