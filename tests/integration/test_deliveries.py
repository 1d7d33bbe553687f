"""Webhooks end to end: the API, the outbox, a real `iris worker` process and a real receiver on 127.0.0.1."""

import os
import signal
import time
from dataclasses import replace
from datetime import datetime, timezone

import psutil
import pytest
import requests
import webtest
from sqlalchemy import text

from iris.api.app import create_app
from iris.db import make_session_factory
from iris.schemas.tickets import TicketCreate
from iris.services import fanout, tickets
from iris.services.unit_of_work import SqlAlchemyUnitOfWork
from tests.integration.delivery_support import SECRET_KEY, WEBHOOK_SECRET, Receiver, WorkerProcess, eventually
from tests.support import free_port

EVENTS = ["created", "assigned", "commented", "moved", "changed", "deleted"]


@pytest.fixture(scope="module")
def hook_app(settings):
    delivery = replace(settings.delivery, webhook_allow_hosts=("127.0.0.1",))
    application = create_app(replace(settings, secret_key=SECRET_KEY, delivery=delivery))
    yield application
    application.engine.dispose()


@pytest.fixture
def api(hook_app, clean_db):
    return webtest.TestApp(hook_app)


@pytest.fixture
def receiver():
    receiving = Receiver().start()
    yield receiving
    receiving.stop()


@pytest.fixture
def worker(db_url):
    process = WorkerProcess(db_url).start()
    yield process
    process.stop(signal.SIGKILL if process.process and process.process.poll() is None else signal.SIGTERM)


def register(api, receiver, events=EVENTS) -> int:
    body = {"url": receiver.url, "secret": WEBHOOK_SECRET, "events": events}
    return api.post_json("/webhooks", body, status=201).json["webhook_id"]


def jobs(api, task: str) -> int:
    with api.app.engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = :t"), {"t": task})


def test_create_comment_and_move_reach_the_receiver_signed_and_in_order(api, receiver, worker):
    register(api, receiver)
    ticket = api.put_json("/tickets", {"title": "Printer on fire"}, status=201).json
    api.post_json(f"/tickets/{ticket['ticket_id']}/comments", {"body": "smoke seen"}, status=201)
    api.post_json(f"/tickets/{ticket['ticket_id']}/transitions", {"to": "In Progress"}, status=200)

    got = receiver.wait_for(3, timeout_s=15)

    assert [g.event for g in got] == ["created", "commented", "moved"]
    assert receiver.all_signed()
    assert {g.payload["ticket_id"] for g in got} == {ticket["ticket_id"]}
    assert [g.payload["delivery_id"] for g in got] == [g.delivery_id for g in got]
    assert psutil.Process(worker.process.pid).nice() == os.nice(0) + 10, "requests come first on a shared host"


def test_a_receiver_failing_twice_gets_one_delivery_with_one_id_and_three_attempts_recorded(api, receiver, worker):
    webhook_id = register(api, receiver)
    receiver.answers = [500, 500]
    api.put_json("/tickets", {"title": "Flaky receiver"}, status=201)

    (got,) = receiver.wait_for(1, timeout_s=20)

    assert len(receiver.log) == 3 and {r.delivery_id for r in receiver.log} == {got.delivery_id}
    assert len({r.body for r in receiver.log}) == 1  # every attempt sent the same bytes
    deliveries = api.get(f"/webhooks/{webhook_id}/deliveries").json
    eventually(lambda: api.get(f"/webhooks/{webhook_id}/deliveries").json[0]["status"] == "delivered")
    (delivery,) = api.get(f"/webhooks/{webhook_id}/deliveries").json
    assert delivery["attempts"] == 3 and deliveries
    assert sorted(a["status_code"] for a in delivery["attempt_log"]) == [200, 500, 500]


class CommitFails(SqlAlchemyUnitOfWork):
    """A unit of work whose COMMIT fails after everything, outbox included, was written (a connection lost
    during COMMIT, a serialization failure): the transaction rolls back."""

    def _commit(self) -> None:
        self.session.flush()
        raise RuntimeError("the commit failed")


def test_a_change_whose_transaction_rolls_back_defers_nothing_and_delivers_nothing(api, receiver, worker):
    register(api, receiver)
    failing = CommitFails(make_session_factory(api.app.engine))
    with pytest.raises(RuntimeError, match="the commit failed"):
        tickets.open_ticket(failing, TicketCreate(title="Rolled back"))

    with api.app.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM ticket_history")) == 0, "no entry to pass on"
    api.put_json("/tickets", {"title": "Committed"}, status=201)
    (got,) = receiver.wait_for(1)
    assert got.payload["ticket"]["title"] == "Committed"
    time.sleep(1.5)  # a worker poll and more: nothing else comes
    assert [r.payload["ticket"]["title"] for r in receiver.log] == ["Committed"]


def test_a_worker_killed_mid_delivery_loses_nothing_once_another_starts(api, receiver, worker, db_url):
    register(api, receiver)
    receiver.delay_s = 3  # the worker is inside the receiver's call when it dies
    api.put_json("/tickets", {"title": "Survives a crash"}, status=201)
    eventually(lambda: len(receiver.log) == 1, what="the first attempt")
    worker.stop(signal.SIGKILL)
    receiver.delay_s = 0

    again = WorkerProcess(db_url).start()
    try:
        (got,) = receiver.wait_for(1, timeout_s=30)
    finally:
        again.stop()
    assert got.payload["ticket"]["title"] == "Survives a crash"


def test_sigterm_lets_the_worker_finish_the_delivery_in_hand(api, receiver, worker):
    register(api, receiver)
    receiver.delay_s = 2
    api.put_json("/tickets", {"title": "Finish me"}, status=201)
    eventually(lambda: len(receiver.log) == 1, what="the first attempt")

    err = worker.stop(signal.SIGTERM)

    assert "Traceback" not in err
    with api.app.engine.connect() as conn:
        assert conn.scalar(text("SELECT status FROM webhook_deliveries")) == "delivered"


def test_a_failed_delivery_is_kept_and_an_admin_redelivers_it_with_the_same_id(api, receiver, db_url):
    webhook_id = register(api, receiver)
    receiver.answers = [500, 500]
    worker = WorkerProcess(db_url, IRIS_WEBHOOK_MAX_ATTEMPTS="2").start()
    try:
        api.put_json("/tickets", {"title": "Needs a second round"}, status=201)
        listed = lambda: api.get(f"/webhooks/{webhook_id}/deliveries").json  # noqa: E731
        eventually(lambda: listed() and listed()[0]["status"] == "failed", what="the delivery failing")
        (failed,) = listed()
        assert failed["attempts"] == 2 and receiver.seen == {}

        path = f"/webhooks/{webhook_id}/deliveries/{failed['delivery_id']}/redeliver"
        assert api.post(path, status=202).json["status"] == "pending"
        (got,) = receiver.wait_for(1)
    finally:
        worker.stop()
    assert got.delivery_id == failed["delivery_id"]
    eventually(lambda: listed()[0]["status"] == "delivered", what="the redelivery recorded")
    assert [a["status_code"] for a in listed()[0]["attempt_log"]] == [200, 500, 500]  # newest first


def test_a_worker_of_its_own_serves_its_counters_on_its_metrics_port(api, receiver, db_url):
    register(api, receiver)
    port = free_port()
    worker = WorkerProcess(db_url, IRIS_WORKER_METRICS_PORT=str(port), IRIS_HOST="127.0.0.1").start()
    try:
        api.put_json("/tickets", {"title": "Counted"}, status=201)
        receiver.wait_for(1)
        scrape = lambda: requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text  # noqa: E731
        eventually(lambda: 'iris_webhook_delivery_attempts_total{outcome="delivered"} 1.0' in scrape(),
                   what="the delivered attempt counted")  # fmt: skip
    finally:
        worker.stop()


def test_metrics_show_the_backlog_of_changes_to_pass_on_and_of_jobs(api, receiver):
    register(api, receiver)
    api.put_json("/tickets", {"title": "Waiting for a worker"}, status=201)
    assert "iris_changes_untold 1.0" in api.get("/metrics").text
    units = lambda: SqlAlchemyUnitOfWork(make_session_factory(api.app.engine))  # noqa: E731
    assert fanout.relay(units(), None, datetime.now(timezone.utc)).deliveries == 1
    scraped = api.get("/metrics").text
    assert "iris_changes_untold 0.0" in scraped and 'iris_jobs{job="iris.deliver_webhook",state="todo"} 1.0' in scraped
    assert "iris_jobs_failed 0.0" in scraped and "iris_webhook_deliveries_pending 1.0" in scraped
