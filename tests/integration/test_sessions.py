"""One session per request: whatever happens, its connection goes back to the pool."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from iris.repositories.tickets import TicketRepository
from iris.services import tickets as ticket_service


def test_no_connection_stays_checked_out_after_mixed_requests(client, app, monkeypatch):
    client.put_json("/tickets", {"title": "ok"}, status=201)
    client.put("/tickets", "{bad", content_type="application/json", status=400)
    client.get("/tickets/999", status=404)
    client.patch_json("/tickets/1", {"nope": 1}, status=400)
    client.get("/tickets")
    client.get("/health")
    client.delete("/tickets/1", status=204)

    def explode(uow, *args, **kwargs):
        uow.session.execute(text("SELECT 1"))  # holds a connection when it fails
        raise RuntimeError("boom")

    monkeypatch.setattr(ticket_service, "find_tickets", explode)
    client.get("/tickets", status=500)
    assert app.engine.pool.checkedout() == 0


def test_a_failed_use_case_leaves_no_half_written_data(client, app, monkeypatch):
    real_open = TicketRepository.open

    def open_then_fail(self, workflow, **fields):
        real_open(self, workflow, **fields)
        raise RuntimeError("after the insert, before the commit")

    monkeypatch.setattr(TicketRepository, "open", open_then_fail)
    client.put_json("/tickets", {"title": "never"}, status=500)
    monkeypatch.undo()
    assert client.get("/tickets").json == []
    assert app.engine.pool.checkedout() == 0


def test_pooled_connections_the_server_ended_are_replaced_without_a_failed_request(client, app):
    """What pool_pre_ping did, without its round trip: after a restart (here: every backend of the pool
    terminated, as a restart or an idle timeout does), the next requests are answered, none with a 503."""
    created = client.put_json("/tickets", {"title": "survivor"}).json
    with ThreadPoolExecutor(4) as pool:  # several connections in the pool, not just one
        list(pool.map(lambda _: client.get(f"/tickets/{created['ticket_id']}"), range(8)))
    pooled = app.engine.pool.checkedin()
    assert pooled >= 1
    admin = app.engine.connect()
    admin.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND application_name = 'iris' AND pid <> pg_backend_pid()"))  # fmt: skip
    admin.commit()
    admin.close()
    time.sleep(0.2)  # the goodbye reaches the sockets
    for _ in range(pooled + 2):
        assert client.get(f"/tickets/{created['ticket_id']}").json["title"] == "survivor"


def test_a_read_only_use_case_runs_without_a_transaction_and_hands_the_connection_back_as_it_was(app):
    from iris.db import make_session_factory
    from iris.services.identity import ANONYMOUS
    from iris.services.unit_of_work import SqlAlchemyUnitOfWork

    uow = SqlAlchemyUnitOfWork(make_session_factory(app.engine), ANONYMOUS)
    with uow.read_only():
        uow.tickets.get(1)
        driver = uow.session.connection().connection.dbapi_connection
        assert driver.autocommit is True, "no BEGIN, so no ROLLBACK either"
        with pytest.raises(RuntimeError, match="read-only"):
            uow.commit()
    assert driver.autocommit is False, "the next borrower gets a transactional connection"


def test_a_connection_dropped_during_a_read_only_use_case_is_a_database_error_not_a_driver_one(app):
    """The request answers 503 (OperationalError) and the connection goes back, as with any use case."""
    from sqlalchemy.exc import OperationalError

    from iris.db import make_session_factory
    from iris.services.identity import ANONYMOUS
    from iris.services.unit_of_work import SqlAlchemyUnitOfWork

    uow = SqlAlchemyUnitOfWork(make_session_factory(app.engine), ANONYMOUS)
    with pytest.raises(OperationalError):
        with uow.read_only():
            pid = uow.session.execute(text("SELECT pg_backend_pid()")).scalar()
            with app.engine.connect() as admin:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            time.sleep(0.2)
            uow.session.execute(text("SELECT 1"))
    assert app.engine.pool.checkedout() == 0


def test_checkouts_work_when_the_worker_has_more_than_1023_files_open(app):
    """select() refuses file numbers past 1023, and a worker with 1,000 client connections has them."""
    import os
    import resource

    from iris.db import make_engine

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        pytest.skip(f"the open-file limit ({soft}) is too low to open 1,100 files")
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    engine = make_engine(app.engine.url)  # its connections get file numbers past 1023
    try:
        for _ in range(3):  # a new connection, then the pooled one again
            with engine.connect() as conn:
                assert conn.connection.dbapi_connection.fileno() > 1023
                assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
        for fd in held:
            os.close(fd)
