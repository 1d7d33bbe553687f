"""E-mail end to end: a real `iris worker` process sending to a real SMTP server (aiosmtpd) on 127.0.0.1."""

import email
import signal
import smtplib
import time
from datetime import datetime, timezone
from email.policy import default as default_policy

import pytest
import webtest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from iris.db import make_session_factory
from iris.jobs.worker import letterhead
from iris.services import fanout, mail, users
from iris.services.unit_of_work import SqlAlchemyUnitOfWork
from tests.integration.delivery_support import WorkerProcess, eventually
from tests.support import free_port


class Mailbox:
    """aiosmtpd's handler: keeps each message it is given."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


@pytest.fixture
def api(app, clean_db):
    return webtest.TestApp(app)


def person(app, username: str, email_address, channels=("inbox", "email")) -> None:
    users.create_user(SqlAlchemyUnitOfWork(make_session_factory(app.engine)), {"username": username,
                      "email": email_address, "role": "agent"})  # fmt: skip
    with app.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO notification_preferences (user_id, events, channels) SELECT user_id, :e, :c "
                 "FROM users WHERE username = :u"),
            {"u": username, "e": ["assigned", "commented", "moved", "changed"], "c": list(channels)},
        )  # fmt: skip


def mailing_worker(db_url, port: int, group_s: int) -> WorkerProcess:
    env = {"IRIS_SMTP_HOST": "127.0.0.1", "IRIS_SMTP_PORT": str(port), "IRIS_EMAIL_GROUP_SECONDS": str(group_s)}
    return WorkerProcess(db_url, **env).start()


def test_many_changes_in_a_short_time_reach_a_watcher_as_one_e_mail(api, mailbox, db_url):
    box, port = mailbox
    person(api.app, "ann", "ann@example.org")
    worker = mailing_worker(db_url, port, group_s=3)
    try:
        ticket = api.put_json("/tickets", {"title": "Noisy ticket", "assignee": "ann"}, status=201).json
        for n in range(5):
            api.post_json(f"/tickets/{ticket['ticket_id']}/comments", {"body": f"comment {n}"}, status=201)
        eventually(lambda: len(box.messages) >= 1, timeout_s=20, what="the e-mail")
        time.sleep(2)  # nothing more comes for these changes
        (message,) = box.messages
        assert message["To"] == "ann@example.org"
        assert message["Subject"] == "[iris] 6 changes on 1 ticket"
        body = message.get_content()
        assert body.count("Noisy ticket") == 6 and "assigned by anonymous" in body and "commented by" in body
        assert body.count(f"/ticket/{ticket['ticket_id']}") == 6

        api.post_json(f"/tickets/{ticket['ticket_id']}/comments", {"body": "later"}, status=201)
        eventually(lambda: len(box.messages) == 2, timeout_s=20, what="the second e-mail")
        assert box.messages[1]["Subject"].startswith(f"[iris] #{ticket['ticket_id']} Noisy ticket: commented")
    finally:
        worker.stop(signal.SIGTERM)


def test_only_those_who_chose_e_mail_and_have_an_address_get_one(api, mailbox, db_url):
    box, port = mailbox
    person(api.app, "ann", "ann@example.org", channels=("inbox",))
    person(api.app, "bob", None)
    person(api.app, "cy", "cy@example.org")
    worker = mailing_worker(db_url, port, group_s=1)
    try:
        ticket_id = api.put_json("/tickets", {"title": "Quiet", "assignee": "ann"}, status=201).json["ticket_id"]
        for who in ("bob", "cy"):
            api.put(f"/tickets/{ticket_id}/watchers/{who}", status=204)
        api.post_json(f"/tickets/{ticket_id}/comments", {"body": "hello"}, status=201)
        eventually(lambda: len(box.messages) >= 1, timeout_s=20, what="cy's e-mail")
        time.sleep(2)
        assert [m["To"] for m in box.messages] == ["cy@example.org"]
        with api.app.engine.connect() as conn:
            told = conn.execute(text("SELECT u.username, count(*) FROM notifications n JOIN users u USING (user_id) "
                                     "GROUP BY u.username ORDER BY 1")).all()  # fmt: skip
        assert told == [("ann", 2), ("bob", 1), ("cy", 1)]  # the inbox fills whatever the channel
    finally:
        worker.stop(signal.SIGTERM)


def test_the_send_holds_no_connection_and_a_failed_send_leaves_the_changes_due_for_the_retry(api):
    person(api.app, "ann", "ann@example.org")
    api.put_json("/tickets", {"title": "Mail", "assignee": "ann"}, status=201)
    factory = make_session_factory(api.app.engine)
    units = lambda: SqlAlchemyUnitOfWork(factory)  # noqa: E731
    assert fanout.relay(units(), 60, datetime.now(timezone.utc)).notified == 1
    held = []

    def refused(message):
        held.append(api.app.engine.pool.checkedout())
        raise smtplib.SMTPServerDisconnected("the mail server went away")

    with pytest.raises(smtplib.SMTPServerDisconnected):
        mail.send_digest(units, user_id(api.app, "ann"), letterhead("iris@test", "http://x"), refused)
    assert held == [0]
    assert mail.send_digest(units, user_id(api.app, "ann"), letterhead("iris@test", "http://x"),
                            held.append).sent == 1  # fmt: skip
    assert held[1]["To"] == "ann@example.org"


def user_id(app, username: str) -> int:
    with app.engine.connect() as conn:
        return conn.scalar(text("SELECT user_id FROM users WHERE username = :u"), {"u": username})
