"""One delivery attempt at a time (iris/services/deliveries.py) on the real database, with the receiver's answers
and the clock in the test's hands: retries, the bounded number of attempts, turning a failing webhook off, the
address check at delivery time, and a secret that can no longer be opened."""

import uuid
from datetime import datetime, timedelta, timezone
from functools import partial

import pytest
from sqlalchemy import text

from iris.db import make_session_factory
from iris.outbound.client import Outcome, post
from iris.sealing import Sealer
from iris.services import deliveries, webhooks
from iris.services.unit_of_work import SqlAlchemyUnitOfWork
from tests.integration.delivery_support import Receiver

KEY = "a test key that is long enough to seal webhook secrets"
POLICY = deliveries.Policy(max_attempts=3, disable_after=timedelta(hours=24))
START = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def units(app, clean_db):
    factory = make_session_factory(app.engine)
    return lambda: SqlAlchemyUnitOfWork(factory)


def webhook(units, url="https://93.184.215.14/hook", sealer=None) -> int:
    sealer = sealer or Sealer(KEY)
    fields = {"url": url, "secret": "s" * 16, "events": ["created"]}
    return webhooks.register_webhook(units(), fields, sealer=sealer, allow_hosts=("127.0.0.1",)).webhook_id


def pending(app, webhook_id: int) -> uuid.UUID:
    delivery_id = uuid.uuid4()
    with app.engine.begin() as conn:
        conn.execute(text("INSERT INTO webhook_deliveries (delivery_id, webhook_id, ticket_id, changeset, event, body) "
                          "VALUES (:d, :w, 1, :c, 'created', :b)"),
                     {"d": delivery_id, "w": webhook_id, "c": uuid.uuid4(), "b": '{"event": "created"}'})  # fmt: skip
    return delivery_id


def answering(*statuses):
    answers = list(statuses)
    return lambda url, body, headers: Outcome(answers.pop(0), None, None, 5)


def row(app, sql: str, **params):
    with app.engine.connect() as conn:
        return conn.execute(text(sql), params).first()


def test_retries_until_the_bound_then_the_delivery_is_failed_and_kept_with_every_attempt(app, units):
    delivery_id = pending(app, webhook(units))
    send, clock = answering(500, 503, 502), Clock()
    states = [deliveries.deliver(units, delivery_id, POLICY, send, Sealer(KEY).open, clock).state for _ in range(3)]

    assert states == ["retry", "retry", "failed"]
    assert deliveries.deliver(units, delivery_id, POLICY, send, Sealer(KEY).open, clock).state == "skipped"
    kept = row(app, "SELECT status, attempts, finished IS NOT NULL FROM webhook_deliveries")
    assert tuple(kept) == ("failed", 3, True)
    assert row(app, "SELECT array_agg(status_code ORDER BY attempt_id) FROM webhook_attempts")[0] == [500, 503, 502]


def test_a_client_error_is_not_retried_and_a_success_clears_the_failing_mark(app, units):
    webhook_id = webhook(units)
    first, second = pending(app, webhook_id), pending(app, webhook_id)
    clock = Clock()
    assert deliveries.deliver(units, first, POLICY, answering(410), Sealer(KEY).open, clock).state == "failed"
    assert row(app, "SELECT failing_since FROM webhooks")[0] == START

    assert deliveries.deliver(units, second, POLICY, answering(204), Sealer(KEY).open, clock).state == "delivered"
    assert row(app, "SELECT failing_since FROM webhooks")[0] is None


def test_a_webhook_failing_for_longer_than_the_limit_is_turned_off_and_says_so(app, units):
    webhook_id, clock = webhook(units), Clock()
    for hours in (0, 12, 25):
        clock.now = START + timedelta(hours=hours)
        done = deliveries.deliver(units, pending(app, webhook_id), POLICY, answering(500), Sealer(KEY).open, clock)
    assert done.turned_off and done.state == "failed"  # no retry to a webhook that is off
    active, reason = row(app, "SELECT active, disabled_reason FROM webhooks")
    assert not active and reason == "turned off by iris: every delivery failed since 2026-11-30T12:00:00+00:00"

    later = pending(app, webhook_id)
    assert deliveries.deliver(units, later, POLICY, answering(200), Sealer(KEY).open, clock).state == "failed"
    assert "turned off" in row(app, "SELECT error FROM webhook_attempts ORDER BY attempt_id DESC LIMIT 1")[0]


def test_the_address_is_checked_again_at_delivery_and_a_private_one_is_refused_without_a_retry(app, units):
    receiver = Receiver().start()
    try:
        delivery_id = pending(app, webhook(units, url=receiver.url))  # allowed when it was registered
        send = partial(post, allow_hosts=(), connect_timeout_s=1, read_timeout_s=1)  # not any more
        done = deliveries.deliver(units, delivery_id, POLICY, send, Sealer(KEY).open, Clock())
    finally:
        receiver.stop()
    assert done.state == "failed" and receiver.log == []
    error = row(app, "SELECT error FROM webhook_attempts")[0]
    assert error.startswith("refused: ") and "127.0.0.1" in error


def test_a_secret_sealed_under_another_key_fails_the_delivery_with_a_reason_instead_of_retrying(app, units):
    delivery_id = pending(app, webhook(units, sealer=Sealer("another key that is long enough to seal things")))
    done = deliveries.deliver(units, delivery_id, POLICY, answering(200), Sealer(KEY).open, Clock())
    assert done.state == "failed"
    assert "IRIS_SECRET_KEY" in row(app, "SELECT error FROM webhook_attempts")[0]


def test_retry_after_is_passed_on_to_the_worker(app, units):
    delivery_id = pending(app, webhook(units))
    send = lambda url, body, headers: Outcome(429, 120.0, "slow down", 3)  # noqa: E731
    done = deliveries.deliver(units, delivery_id, POLICY, send, Sealer(KEY).open, Clock())
    assert (done.state, done.retry_after_s) == ("retry", 120.0)


def test_a_webhook_an_admin_turned_off_fails_its_pending_deliveries_without_counting_against_it(app, units):
    webhook_id = webhook(units)
    delivery_id = pending(app, webhook_id)
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE webhooks SET active = false"))
    done = deliveries.deliver(units, delivery_id, POLICY, answering(200), Sealer(KEY).open, Clock())
    assert done.state == "failed" and not done.turned_off
    assert row(app, "SELECT failing_since, disabled_reason FROM webhooks") == (None, None)
    assert "turned off" in row(app, "SELECT error FROM webhook_attempts")[0]


@pytest.mark.parametrize("target", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "[::1]", "hooks.example.org"])
def test_at_delivery_a_target_that_is_or_resolves_to_an_inner_address_is_refused_unless_allowed(app, units, target):
    resolved = {"hooks.example.org": ["10.1.2.3"]}  # a name that now points inside
    resolve = lambda host, port: resolved.get(host, [host.strip("[]")])  # noqa: E731
    url = f"http://{target}:9/hook"
    delivery_id = pending(app, webhook(units))
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE webhooks SET url = :u"), {"u": url})  # as if it had been allowed when registered
    refusing = partial(post, allow_hosts=(), connect_timeout_s=1, read_timeout_s=1, resolve=resolve)
    done = deliveries.deliver(units, delivery_id, POLICY, refusing, Sealer(KEY).open, Clock())
    assert done.state == "failed"
    assert row(app, "SELECT error FROM webhook_attempts")[0].startswith("refused: ")  # before any connection
    if target not in ("127.0.0.1", "[::1]"):
        return  # allowing the others would send a packet off this machine

    allowing = partial(post, allow_hosts=(target,), connect_timeout_s=1, read_timeout_s=1, resolve=resolve)
    again = pending(app, webhook(units))
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE webhooks SET url = :u"), {"u": url})
    deliveries.deliver(units, again, POLICY, allowing, Sealer(KEY).open, Clock())
    error = row(app, "SELECT error FROM webhook_attempts WHERE delivery_id = :d", d=again)[0]
    assert not error.startswith("refused: "), "allowed: it was tried (nothing listens there, so it failed)"
