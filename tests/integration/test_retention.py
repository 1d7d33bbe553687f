"""Old inbox entries and finished deliveries go (iris/services/retention.py); nothing still in use does."""

import subprocess
import sys
import uuid

from sqlalchemy import text

from iris.db import make_session_factory
from iris.sealing import Sealer
from iris.services import retention, users, webhooks
from iris.services.unit_of_work import SqlAlchemyUnitOfWork
from tests.integration.inbox_support import add_notification
from tests.support import clean_env, url_string


def delivery(engine, webhook_id: int, status: str, finished_days_ago) -> None:
    with engine.begin() as conn:
        delivery_id = conn.scalar(
            text("INSERT INTO webhook_deliveries (delivery_id, webhook_id, ticket_id, changeset, event, body, status, "
                 "finished) VALUES (:d, :w, 1, :c, 'created', '{}', :s, now() - make_interval(days => :f)) "
                 "RETURNING delivery_id"),
            {"d": uuid.uuid4(), "w": webhook_id, "c": uuid.uuid4(), "s": status, "f": finished_days_ago},
        )  # fmt: skip
        conn.execute(text("INSERT INTO webhook_attempts (delivery_id, duration_ms, status_code) VALUES (:d, 3, 500)"),
                     {"d": delivery_id})  # fmt: skip


def aged(engine, notification_id: int, days: int, email_due: bool = False) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE notifications SET created = now() - make_interval(days => :n), email_due = :e "
                          "WHERE notification_id = :i"), {"n": days, "i": notification_id, "e": email_due})  # fmt: skip


def count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(text(f"SELECT count(*) FROM {table}"))


def test_only_finished_deliveries_and_inbox_entries_past_their_retention_go(app, clean_db, monkeypatch):
    factory = make_session_factory(app.engine)
    units = lambda: SqlAlchemyUnitOfWork(factory)  # noqa: E731
    hook = webhooks.register_webhook(units(), {"url": "https://93.184.215.14/h", "secret": "s" * 16,
                                     "events": ["created"]}, sealer=Sealer("k" * 32), allow_hosts=())  # fmt: skip
    for status, days in (("delivered", 31), ("failed", 40), ("delivered", 29), ("pending", 50)):
        delivery(app.engine, hook.webhook_id, status, days)
    users.create_user(units(), {"username": "ann"})
    for days, due in ((181, False), (200, True), (179, False)):
        aged(app.engine, add_notification(app.engine, "ann", 1, read=True), days, email_due=due)
    monkeypatch.setattr(retention, "BATCH", 1)  # several batches, each its own transaction

    purged = retention.purge_old(units, retention.Kept(30, 180), _now(app))

    assert (purged.deliveries, purged.notifications) == (2, 1)
    with app.engine.connect() as conn:
        left = conn.execute(text("SELECT status FROM webhook_deliveries ORDER BY status")).scalars().all()
    assert left == ["delivered", "pending"] and count(app.engine, "webhook_attempts") == 2
    assert count(app.engine, "notifications") == 2  # the recent one, and the one an e-mail still has to carry


def test_iris_purge_keys_purges_them_too(app, clean_db):
    env = clean_env(DATABASE_URL=url_string(app.settings.database_url), IRIS_ENV="test",
                    IRIS_NOTIFICATION_RETENTION_DAYS="1")  # fmt: skip
    users.create_user(SqlAlchemyUnitOfWork(make_session_factory(app.engine)), {"username": "ann"})
    aged(app.engine, add_notification(app.engine, "ann", 1), 2)
    done = subprocess.run([sys.executable, "-m", "iris", "purge-keys"], env=env, capture_output=True, text=True)
    assert "removed 0 old webhook deliveries and 1 old inbox entries" in done.stderr, done.stderr


def _now(app):
    with app.engine.connect() as conn:
        return conn.scalar(text("SELECT now()"))
