"""Who is told what about a change set (iris/services/fanout.py), on the real database, without a worker: the
journal is passed on here, by hand, as the worker's turns do."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql

from iris.db import make_session_factory
from iris.repositories.fanout import untold_entries
from iris.schemas import CommentCreate, TicketCreate, TicketPatch, parse
from iris.sealing import Sealer
from iris.services import comments, fanout, tickets, users, webhooks
from iris.services.identity import Actor
from iris.services.preconditions import Precondition
from iris.services.unit_of_work import SqlAlchemyUnitOfWork

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def world(app, clean_db):
    factory = make_session_factory(app.engine)
    world = World(app, lambda actor=None: SqlAlchemyUnitOfWork(factory, actor or Actor("boss", "admin")))
    for name in ("ann", "bob", "cy", "dee"):
        users.create_user(world.uow(), {"username": name, "role": "agent", "email": f"{name}@example.org"})
    return world


class World:
    def __init__(self, app, uow):
        self.app, self.uow = app, uow

    def sql(self, statement: str, **params):
        with self.app.engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return result.all() if result.returns_rows else []

    def prefer(self, username: str, events, channels=("inbox",)) -> None:
        self.sql("INSERT INTO notification_preferences (user_id, events, channels) SELECT user_id, :e, :c FROM users "
                 "WHERE username = :u", u=username, e=list(events), c=list(channels))  # fmt: skip

    def run_jobs(self, email_after_s=None) -> list[fanout.Relayed]:
        """Passes on the journal's untold entries, as the worker's turns do, until none is left."""
        turns = []
        while not turns or turns[-1].entries:
            turns.append(fanout.relay(self.uow(), email_after_s, NOW))
        return turns

    def inbox(self) -> list[tuple[str, str, int]]:
        return [tuple(r) for r in self.sql("SELECT u.username, n.event, n.ticket_id FROM notifications n "
                                           "JOIN users u USING (user_id) ORDER BY n.notification_id")]  # fmt: skip


def open_as(world, who: str, **fields) -> int:
    return tickets.open_ticket(world.uow(Actor(who, "agent")), parse(TicketCreate, fields)).item.ticket_id


def test_watchers_hear_of_changes_but_nobody_of_their_own_and_the_new_assignee_is_told_it_is_theirs(world):
    ticket_id = open_as(world, "ann", title="Broken", assignee="bob")  # ann reports: both watch
    with world.uow() as uow:
        uow.watchers.add(ticket_id, ["cy"])
        uow.commit()
    world.run_jobs()
    assert world.inbox() == [("bob", "assigned", ticket_id)]  # cy began watching after the change

    comments.comment_on(world.uow(Actor("bob", "agent")), ticket_id, parse(CommentCreate, {"body": "on it"}))
    tickets.edit_ticket(world.uow(Actor("ann", "agent")), ticket_id, parse(TicketPatch, {"assignee": "dee"}),
                        Precondition())  # fmt: skip
    world.run_jobs()
    assert world.inbox()[1:] == [
        ("ann", "commented", ticket_id), ("cy", "commented", ticket_id),  # not bob, who wrote it
        ("bob", "changed", ticket_id), ("cy", "changed", ticket_id), ("dee", "assigned", ticket_id),
    ]  # fmt: skip


def test_preferences_choose_the_events_and_created_reaches_those_who_watch_nothing(world):
    world.prefer("cy", ["created"])
    world.prefer("bob", ["commented"])
    ticket_id = open_as(world, "ann", title="New thing", assignee="bob")
    world.run_jobs()
    assert world.inbox() == [("cy", "created", ticket_id)]  # bob chose comments only

    comments.comment_on(world.uow(Actor("ann", "agent")), ticket_id, parse(CommentCreate, {"body": "hi"}))
    world.run_jobs()
    assert world.inbox()[1:] == [("bob", "commented", ticket_id)]  # cy watches nothing


def test_entries_passed_on_again_tell_nobody_twice_and_queue_no_delivery_twice(world):
    webhooks.register_webhook(world.uow(), {"url": "https://93.184.215.14/h", "secret": "s" * 16,
                              "events": ["created"]}, sealer=Sealer("k" * 32), allow_hosts=())  # fmt: skip
    open_as(world, "ann", title="Once", assignee="bob")
    world.run_jobs()
    world.sql("UPDATE ticket_history SET told = false")  # as if the marks had been lost
    assert world.run_jobs()[0].entries == 1
    assert len(world.inbox()) == 1
    assert world.sql("SELECT count(*) FROM webhook_deliveries")[0][0] == 1
    assert world.sql("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'iris.deliver_webhook'")[0][0] == 1


def test_one_worker_relays_at_a_time_and_a_change_set_is_never_split_between_turns(world):
    ticket_id = open_as(world, "ann", title="Split", assignee="bob")
    tickets.edit_ticket(world.uow(Actor("ann", "agent")), ticket_id,
                        parse(TicketPatch, {"title": "Renamed", "description": "more", "assignee": "cy"}),
                        Precondition())  # fmt: skip
    with world.uow() as other:
        assert other.fanout.lead()  # another worker's turn is under way
        assert fanout.relay(world.uow(), None, NOW).entries == 0
    first = fanout.relay(world.uow(), None, NOW, batch=2)  # the creation, and the first of the edit's 3 entries
    assert first.entries == 4, "the rest of the edit's change set came along"
    assert fanout.relay(world.uow(), None, NOW).entries == 0
    assert ("cy", "assigned", ticket_id) in world.inbox()


def test_webhooks_get_only_the_events_they_chose_while_active_with_the_change_in_the_payload(world):
    hook = {"url": "https://93.184.215.14/h", "secret": "s" * 16, "events": ["commented", "moved"]}
    kept = webhooks.register_webhook(world.uow(), hook, sealer=Sealer("k" * 32), allow_hosts=())
    off = webhooks.register_webhook(world.uow(), {**hook, "active": False}, sealer=Sealer("k" * 32), allow_hosts=())
    ticket_id = open_as(world, "ann", title="Hooked")
    comments.comment_on(world.uow(Actor("bob", "agent")), ticket_id, parse(CommentCreate, {"body": "first!"}))
    world.run_jobs()

    rows = world.sql("SELECT webhook_id, event, body FROM webhook_deliveries")
    assert [(w, e) for w, e, _ in rows] == [(kept.webhook_id, "commented")] and off.webhook_id != kept.webhook_id
    payload = json.loads(rows[0][2])
    assert payload["event"] == "commented" and payload["actor"] == "bob" and payload["ticket_id"] == ticket_id
    assert payload["ticket"]["title"] == "Hooked" and payload["changes"][0]["new"]["body"] == "first!"
    entry_ids = world.sql("SELECT array_agg(entry_id) FROM ticket_history WHERE action = 'comment_added'")[0][0]
    assert payload["entry_ids"] == entry_ids


def test_a_deletion_is_told_to_the_watchers_who_then_stop_watching(world):
    ticket_id = open_as(world, "ann", title="Doomed", assignee="bob")
    tickets.delete_ticket(world.uow(), ticket_id, Precondition())
    world.run_jobs()
    assert ("ann", "deleted", ticket_id) in world.inbox() and ("bob", "deleted", ticket_id) in world.inbox()
    assert world.sql("SELECT count(*) FROM ticket_watchers")[0][0] == 0


def test_e_mail_is_queued_once_per_person_for_a_grouping_window(world):
    world.prefer("bob", ["assigned", "commented"], channels=("inbox", "email"))
    world.prefer("cy", ["commented"], channels=("email",))
    ticket_id = open_as(world, "ann", title="Mail me", assignee="bob")
    with world.uow() as uow:
        uow.watchers.add(ticket_id, ["cy"])
        uow.commit()
    for n in range(3):
        comments.comment_on(world.uow(Actor("dee", "agent")), ticket_id, parse(CommentCreate, {"body": f"#{n}"}))
    world.run_jobs(email_after_s=60)

    queued = world.sql("SELECT args->>'user_id', scheduled_at > now() + interval '50 seconds' FROM procrastinate_jobs "
                       "WHERE task_name = 'iris.send_email' ORDER BY 1")  # fmt: skip
    ids = dict(world.sql("SELECT username, user_id::text FROM users"))
    assert queued == [(ids["bob"], True), (ids["cy"], True)]
    unread = world.sql("SELECT u.username, count(*) FILTER (WHERE read_at IS NULL) FROM notifications n "
                       "JOIN users u USING (user_id) GROUP BY 1 ORDER BY 1")  # fmt: skip
    assert unread == [("ann", 3), ("bob", 4), ("cy", 0)]  # cy: e-mail only, kept in the inbox already read


def test_an_inbox_entry_keeps_long_texts_short_while_the_webhook_gets_them_whole(world):
    webhooks.register_webhook(world.uow(), {"url": "https://93.184.215.14/h", "secret": "s" * 16,
                              "events": ["created"]}, sealer=Sealer("k" * 32), allow_hosts=())  # fmt: skip
    long = "x" * 20_000
    ticket_id = open_as(world, "ann", title="Long", assignee="bob", description=long)
    world.run_jobs()
    with world.app.engine.connect() as conn:
        (changes,) = conn.execute(text("SELECT changes FROM notifications")).one()
        (body,) = conn.execute(text("SELECT body FROM webhook_deliveries")).one()
    assert changes[0]["new"]["description"] == "x" * (fanout.SHORT - 1) + "…"
    assert changes[0]["new"]["ticket_id"] == ticket_id
    assert json.loads(body)["changes"][0]["new"]["description"] == long


def test_untold_entries_are_found_through_their_partial_index_not_by_reading_the_journal(world):
    query = untold_entries().limit(fanout.BATCH)
    query = query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    with world.app.engine.begin() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))  # a plan that can use the index, uses it
        plan = "\n".join(row[0] for row in conn.execute(text(f"EXPLAIN {query}")))
    assert "ix_ticket_history_untold" in plan, plan


def statements_of_a_turn(world) -> int:
    counted = []
    listener = lambda *args: counted.append(1)  # noqa: E731
    event.listen(world.app.engine, "before_cursor_execute", listener)
    try:
        assert fanout.relay(world.uow(), 60, NOW).entries
    finally:
        event.remove(world.app.engine, "before_cursor_execute", listener)
    return len(counted)


def test_a_turn_reads_and_writes_in_statements_whose_number_does_not_grow_with_its_change_sets(world):
    webhooks.register_webhook(world.uow(), {"url": "https://93.184.215.14/h", "secret": "s" * 16,
                              "events": ["created", "commented"]}, sealer=Sealer("k" * 32), allow_hosts=())  # fmt: skip
    world.prefer("cy", ["created", "commented"], ["inbox", "email"])

    def changes(count: int) -> int:
        for n in range(count):
            ticket_id = open_as(world, "ann", title=f"Ticket {n}", assignee="bob")
            comments.comment_on(world.uow(Actor("dee", "agent")), ticket_id, parse(CommentCreate, {"body": "seen"}))
        return statements_of_a_turn(world)

    one, twenty = changes(1), changes(20)
    assert twenty == one, f"{one} statements for 2 change sets, {twenty} for 40"
    assert world.sql("SELECT count(*) FROM webhook_deliveries")[0][0] == 42
    # Each ticket: bob (assigned) and cy (asked for new tickets) hear of it; ann and bob, who watch, of its comment.
    assert len(world.inbox()) == 21 * 4
    assert world.sql("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'iris.send_email'")[0][0] == 1


def test_a_failing_webhook_s_job_is_not_brought_forward_at_every_turn(world):
    hook = {"url": "https://93.184.215.14/h", "secret": "s" * 16, "events": ["created"]}
    failing = webhooks.register_webhook(world.uow(), hook, sealer=Sealer("k" * 32), allow_hosts=()).webhook_id
    healthy = webhooks.register_webhook(world.uow(), hook, sealer=Sealer("k" * 32), allow_hosts=()).webhook_id
    world.sql("UPDATE webhooks SET failing_since = :at WHERE webhook_id = :w", at=NOW, w=failing)
    open_as(world, "ann", title="While the receiver is down")
    world.run_jobs()
    jobs = dict(world.sql("SELECT args->>'webhook_id', scheduled_at FROM procrastinate_jobs"))
    assert jobs == {str(healthy): None, str(failing): NOW + timedelta(seconds=fanout.FAILING_PAUSE_S)}
