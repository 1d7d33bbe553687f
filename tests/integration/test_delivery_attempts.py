"""A webhook's deliveries sent batch by batch (iris/services/deliveries.py) on the real database, with the
receiver's answers and the clock in the test's hands: retries and their backoff, each ticket's order kept while
others flow on, the bounded number of attempts, turning a failing webhook off, the address check at delivery time,
a secret that can no longer be opened, and the job queued again for what is left."""

import json
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from functools import partial

import psycopg2
import pytest
from sqlalchemy import text

from iris.db import make_session_factory
from iris.jobs import handlers
from iris.jobs.tasks import DELIVER_WEBHOOK
from iris.outbound.client import Outcome, post
from iris.sealing import Sealer
from iris.services import deliveries, webhooks
from iris.services.unit_of_work import SqlAlchemyUnitOfWork
from tests.integration.delivery_support import Receiver

KEY = "a test key that is long enough to seal webhook secrets"
POLICY = deliveries.Policy(max_attempts=3, disable_after=timedelta(hours=24), wait_s=lambda n, after: after or 60)
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


def pending(app, webhook_id: int, ticket_id: int = 1) -> uuid.UUID:
    delivery_id = uuid.uuid4()
    with app.engine.begin() as conn:
        conn.execute(text("INSERT INTO webhook_deliveries "
                          "(delivery_id, webhook_id, ticket_id, changeset, event, body, due) "
                          "VALUES (:d, :w, :t, :c, 'created', :b, :due)"),
                     {"d": delivery_id, "w": webhook_id, "t": ticket_id, "c": uuid.uuid4(),
                      "b": '{"event": "created"}', "due": START})  # fmt: skip
    return delivery_id


class Answering:
    """A receiver's answers in turn (the last one for ever after), and the delivery ids it was sent, in order."""

    def __init__(self, *statuses):
        self.answers, self.sent = list(statuses), []

    def __call__(self, url, body, headers):
        self.sent.append(uuid.UUID(headers["Iris-Delivery"]))
        status = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return Outcome(status, None, None, 5)


def answering(*statuses):
    return Answering(*statuses)


def send_due(units, webhook_id, send, clock, sealer=None, limit=deliveries.BATCH):
    opener = (sealer or Sealer(KEY)).open
    return deliveries.send_due(units, webhook_id, POLICY, send, opener, clock, limit=limit)


def row(app, sql: str, **params):
    with app.engine.connect() as conn:
        return conn.execute(text(sql), params).first()


def test_retries_after_the_backoff_until_the_bound_then_the_delivery_is_failed_and_kept(app, units):
    webhook_id = webhook(units)
    pending(app, webhook_id)
    send, clock = answering(500, 503, 502), Clock()
    assert send_due(units, webhook_id, send, clock).states == Counter(retry=1)
    assert send_due(units, webhook_id, send, clock).states == Counter(), "not due before its backoff"
    assert row(app, "SELECT due FROM webhook_deliveries")[0] == START + timedelta(seconds=60)
    states = []
    for _ in range(2):
        clock.now += timedelta(seconds=60)
        states.append(send_due(units, webhook_id, send, clock).states)
    assert states == [Counter(retry=1), Counter(failed=1)]
    clock.now += timedelta(hours=1)
    assert send_due(units, webhook_id, send, clock).states == Counter(), "failed: never sent again"
    kept = row(app, "SELECT status, attempts, finished IS NOT NULL FROM webhook_deliveries")
    assert tuple(kept) == ("failed", 3, True)
    assert row(app, "SELECT array_agg(status_code ORDER BY attempt_id) FROM webhook_attempts")[0] == [500, 503, 502]


def test_a_retry_holds_back_its_own_tickets_later_deliveries_only_and_order_is_kept(app, units):
    webhook_id, clock = webhook(units), Clock()
    first, second = pending(app, webhook_id, ticket_id=1), pending(app, webhook_id, ticket_id=1)
    other = pending(app, webhook_id, ticket_id=2)

    class FirstFailsOnce(Answering):
        def __call__(self, url, body, headers):
            self.sent.append(uuid.UUID(headers["Iris-Delivery"]))
            return Outcome(500 if self.sent.count(first) == 1 and self.sent[-1] == first else 200, None, None, 5)

    send = FirstFailsOnce()
    assert send_due(units, webhook_id, send, clock).states == Counter(retry=1, delivered=1)
    assert send.sent == [first, other], "the second of ticket 1 waits for the first; ticket 2 goes on"
    clock.now += timedelta(seconds=60)
    assert send_due(units, webhook_id, send, clock).states == Counter(delivered=2)
    assert send.sent == [first, other, first, second]


def test_a_batch_takes_at_most_its_limit_in_the_order_made_and_says_more_may_be_due(app, units):
    webhook_id = webhook(units)
    made = [pending(app, webhook_id, ticket_id=n % 3) for n in range(5)]
    send, clock = answering(200), Clock()
    assert send_due(units, webhook_id, send, clock, limit=3).full
    last = send_due(units, webhook_id, send, clock, limit=3)
    assert not last.full and last.states == Counter(delivered=2)
    assert send.sent == made


def test_a_client_error_is_not_retried_and_a_success_clears_the_failing_mark(app, units):
    webhook_id = webhook(units)
    pending(app, webhook_id)
    clock = Clock()
    assert send_due(units, webhook_id, answering(410), clock).states == Counter(failed=1)
    assert row(app, "SELECT failing_since FROM webhooks")[0] == START

    pending(app, webhook_id)
    assert send_due(units, webhook_id, answering(204), clock).states == Counter(delivered=1)
    assert row(app, "SELECT failing_since FROM webhooks")[0] is None


def test_a_webhook_failing_for_longer_than_the_limit_is_turned_off_and_says_so(app, units):
    webhook_id, clock = webhook(units), Clock()
    for hours in (0, 12, 25):
        clock.now = START + timedelta(hours=hours)
        pending(app, webhook_id, ticket_id=hours)
        done = send_due(units, webhook_id, answering(500), clock)
    assert done.turned_off and done.states["failed"] == 3, "no retry to a webhook that is off: its pending ones too"
    active, reason = row(app, "SELECT active, disabled_reason FROM webhooks")
    assert not active and reason == "turned off by iris: every delivery failed since 2026-11-30T12:00:00+00:00"

    pending(app, webhook_id)
    assert send_due(units, webhook_id, answering(200), clock).states == Counter(failed=1)
    assert "turned off" in row(app, "SELECT error FROM webhook_attempts ORDER BY attempt_id DESC LIMIT 1")[0]


def test_the_address_is_checked_again_at_delivery_and_a_private_one_is_refused_without_a_retry(app, units):
    receiver = Receiver().start()
    try:
        webhook_id = webhook(units, url=receiver.url)  # allowed when it was registered
        pending(app, webhook_id)
        send = partial(post, allow_hosts=(), connect_timeout_s=1, read_timeout_s=1)  # not any more
        done = send_due(units, webhook_id, send, Clock())
    finally:
        receiver.stop()
    assert done.states == Counter(failed=1) and receiver.log == []
    error = row(app, "SELECT error FROM webhook_attempts")[0]
    assert error.startswith("refused: ") and "127.0.0.1" in error


def test_a_secret_sealed_under_another_key_fails_the_delivery_with_a_reason_instead_of_retrying(app, units):
    webhook_id = webhook(units, sealer=Sealer("another key that is long enough to seal things"))
    pending(app, webhook_id)
    assert send_due(units, webhook_id, answering(200), Clock()).states == Counter(failed=1)
    assert "IRIS_SECRET_KEY" in row(app, "SELECT error FROM webhook_attempts")[0]


def test_retry_after_sets_when_the_delivery_is_due_again(app, units):
    webhook_id = webhook(units)
    pending(app, webhook_id)
    send = lambda url, body, headers: Outcome(429, 120.0, "slow down", 3)  # noqa: E731
    assert send_due(units, webhook_id, send, Clock()).states == Counter(retry=1)
    assert row(app, "SELECT due FROM webhook_deliveries")[0] == START + timedelta(seconds=120)


def test_a_webhook_an_admin_turned_off_fails_its_pending_deliveries_without_counting_against_it(app, units):
    webhook_id = webhook(units)
    pending(app, webhook_id)
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE webhooks SET active = false"))
    done = send_due(units, webhook_id, answering(200), Clock())
    assert done.states == Counter(failed=1) and not done.turned_off
    assert row(app, "SELECT failing_since, disabled_reason FROM webhooks") == (None, None)
    assert "turned off" in row(app, "SELECT error FROM webhook_attempts")[0]


def test_the_job_comes_back_for_a_retry_and_idle_webhooks_with_due_deliveries_are_woken(app, units):
    webhook_id = webhook(units)
    pending(app, webhook_id)
    send_due(units, webhook_id, answering(500), Clock())  # its retry is due in 60 s
    jobs = (
        "SELECT args, scheduled_at, lock, queueing_lock FROM procrastinate_jobs WHERE task_name = %r" % DELIVER_WEBHOOK
    )
    assert row(app, jobs) is None
    assert deliveries.come_back(units, webhook_id, START) == START + timedelta(seconds=60)
    args, at, lock, queueing = row(app, jobs)
    assert (args, at, lock, queueing) == (
        {"webhook_id": webhook_id},
        START + timedelta(seconds=60),
        *(f"webhook:{webhook_id}",) * 2,
    )
    assert deliveries.wake_idle(units, START + timedelta(hours=1)) == [], "it has a job waiting"

    with app.engine.begin() as conn:
        conn.execute(text("DELETE FROM procrastinate_jobs"))  # as if the job gave up on an error of its own
    assert deliveries.wake_idle(units, START) == [], "nothing due yet"
    assert deliveries.wake_idle(units, START + timedelta(hours=1)) == [webhook_id]
    assert row(app, jobs)[1] is None, "queued for now"


def test_a_new_delivery_brings_a_job_waiting_for_a_retry_forward(app, units):
    webhook_id = webhook(units)
    pending(app, webhook_id)
    send_due(units, webhook_id, answering(500), Clock())
    deliveries.come_back(units, webhook_id, START)
    with units() as uow:
        uow.outbox.deliver(webhook_id)  # what the worker does when it makes a new delivery
        uow.commit()
    assert row(app, "SELECT count(*), min(scheduled_at) FROM procrastinate_jobs") == (1, None)


@pytest.mark.parametrize("target", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "[::1]", "hooks.example.org"])
def test_at_delivery_a_target_that_is_or_resolves_to_an_inner_address_is_refused_unless_allowed(app, units, target):
    resolved = {"hooks.example.org": ["10.1.2.3"]}  # a name that now points inside
    resolve = lambda host, port: resolved.get(host, [host.strip("[]")])  # noqa: E731
    url = f"http://{target}:9/hook"
    webhook_id = webhook(units)
    delivery_id = pending(app, webhook_id)
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE webhooks SET url = :u"), {"u": url})  # as if it had been allowed when registered
    refusing = partial(post, allow_hosts=(), connect_timeout_s=1, read_timeout_s=1, resolve=resolve)
    assert send_due(units, webhook_id, refusing, Clock()).states == Counter(failed=1)
    assert row(app, "SELECT error FROM webhook_attempts WHERE delivery_id = :d", d=delivery_id)[0].startswith(
        "refused: "
    )
    if target not in ("127.0.0.1", "[::1]"):
        return  # allowing the others would send a packet off this machine

    allowing = partial(post, allow_hosts=(target,), connect_timeout_s=1, read_timeout_s=1, resolve=resolve)
    again = pending(app, webhook_id)
    send_due(units, webhook_id, allowing, Clock())
    error = row(app, "SELECT error FROM webhook_attempts WHERE delivery_id = :d", d=again)[0]
    assert not error.startswith("refused: "), "allowed: it was tried (nothing listens there, so it failed)"


def test_tickets_go_side_by_side_on_the_pool_each_in_order_and_each_delivery_once(app, units):
    webhook_id = webhook(units)
    made = [pending(app, webhook_id, ticket_id=n % 6) for n in range(30)]
    send, clock = answering(200), Clock()
    with ThreadPoolExecutor(max_workers=8) as pool:
        sent = deliveries.send_due(units, webhook_id, POLICY, send, Sealer(KEY).open, clock, pool=pool)
    assert sent.states == Counter(delivered=30) and sorted(send.sent) == sorted(made)
    for ticket in range(6):
        mine = [d for d in send.sent if made.index(d) % 6 == ticket]
        assert mine == [d for d in made if made.index(d) % 6 == ticket], "each ticket's deliveries in the order made"


def test_no_call_starts_after_the_batch_s_time_and_what_was_not_tried_stays_due(app, units):
    webhook_id = webhook(units)
    made = [pending(app, webhook_id) for _ in range(5)]

    def slow(url, body, headers):
        time.sleep(0.2)
        return Outcome(200, None, None, 200)

    opener = Sealer(KEY).open
    sent = deliveries.send_due(units, webhook_id, POLICY, slow, opener, Clock(), ends=time.monotonic() + 0.3)
    assert sent.states == Counter(delivered=2) and sent.full, "two calls started in time; more is due"
    untried = row(app, "SELECT count(*), max(attempts) FROM webhook_deliveries WHERE status = 'pending'")
    assert tuple(untried) == (3, 0)
    assert not deliveries.send_due(units, webhook_id, POLICY, slow, opener, Clock(), ends=time.monotonic()).states
    assert row(app, "SELECT status FROM webhook_deliveries WHERE delivery_id = :d", d=made[-1])[0] == "pending"


def test_a_send_that_fails_inside_iris_is_an_attempt_to_retry_and_the_batch_is_still_recorded(app, units):
    webhook_id = webhook(units)
    broken, fine = pending(app, webhook_id, ticket_id=1), pending(app, webhook_id, ticket_id=2)

    def send(url, body, headers):
        if headers["Iris-Delivery"] == str(broken):
            raise RuntimeError("a bug")
        return Outcome(200, None, None, 5)

    assert send_due(units, webhook_id, send, Clock()).states == Counter(retry=1, delivered=1)
    error = row(app, "SELECT error FROM webhook_attempts WHERE delivery_id = :d", d=broken)[0]
    assert error == "internal error: RuntimeError" and row(app, "SELECT attempts FROM webhook_deliveries "
                                                           "WHERE delivery_id = :d", d=fine)[0] == 1  # fmt: skip


def test_a_job_that_meets_an_error_of_iris_s_own_comes_back_after_a_pause_instead_of_looping(app, units):
    webhook_id = webhook(units)
    pending(app, webhook_id)

    def broken_key(sealed):
        raise RuntimeError("the database went away")

    deps = handlers.Deps(units=units, policy=POLICY, send=answering(200), open_secret=broken_key, letterhead=None,
                         send_mail=None, email_after_s=0, kept=None)  # fmt: skip
    handlers.drain(deps, webhook_id)
    assert row(app, "SELECT attempts, status FROM webhook_deliveries") == (0, "pending")
    waits = row(app, "SELECT scheduled_at - now() FROM procrastinate_jobs WHERE task_name = 'iris.deliver_webhook'")[0]
    assert timedelta(seconds=50) < waits <= timedelta(seconds=handlers.PAUSE_AFTER_ERROR_S)


def test_a_job_brought_forward_wakes_the_workers_and_a_later_time_never_delays_a_waiting_job(app, units):
    webhook_id = webhook(units)
    jobs = "SELECT count(*), min(scheduled_at) FROM procrastinate_jobs"
    listener = psycopg2.connect(app.engine.url.render_as_string(hide_password=False).replace("+psycopg2", ""))
    listener.autocommit = True
    try:
        listener.cursor().execute('LISTEN "procrastinate_queue_v1#iris"')
        in_an_hour = datetime.now(timezone.utc) + timedelta(hours=1)
        for at in (in_an_hour, in_an_hour + timedelta(hours=1), None):
            with units() as uow:
                uow.outbox.deliver(webhook_id, at)
                uow.commit()
            assert row(app, jobs) == (1, None if at is None else in_an_hour), "one job, at the earliest time asked"
        listener.poll()
        told = [json.loads(n.payload)["type"] for n in listener.notifies]
    finally:
        listener.close()
    assert told == ["job_inserted", "job_inserted"], "the insert's trigger, then the bring-forward's own NOTIFY"
    with units() as uow:
        uow.outbox.deliver(webhook_id, in_an_hour)  # the worker's come_back, asking for later
        uow.commit()
    assert row(app, jobs) == (1, None), "still at once"
