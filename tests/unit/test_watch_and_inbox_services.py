"""Watchers, the inbox and notification preferences against the fake unit of work: rights, automatic watching,
the two orders of the inbox, and what preferences accept."""

import itertools
from datetime import datetime, timezone

import pytest

from iris.errors import Forbidden, InvalidInput, NotFound, RuleBroken
from iris.models_notify import Notification
from iris.schemas import BulkPatch, TicketCreate, TicketPatch, parse
from iris.services import inbox, watchers
from iris.services.identity import Actor
from iris.services.inbox import InboxQuery
from iris.services.preconditions import Precondition
from iris.services.tickets import bulk_edit, edit_ticket, open_ticket
from tests.unit.fakes import FakeDatabase, FakeUnitOfWork

ANN, BOB, CAL = Actor("ann", "agent"), Actor("bob", "reporter"), Actor("cal", "reporter")


@pytest.fixture
def db() -> FakeDatabase:
    db = FakeDatabase()
    with FakeUnitOfWork(db) as uow:
        for name, role in (("ann", "agent"), ("bob", "reporter"), ("cal", "reporter")):
            uow.users.add(username=name, role=role, email=f"{name}@example.org")
        uow.users.add(username="gone", active=False)
        uow.users.add(username="anonymous", active=False)
        uow.commit()
    return db


def as_(db, actor=ANN) -> FakeUnitOfWork:
    return FakeUnitOfWork(db, actor, placeholders=False)


def watching(db, ticket_id) -> list[str]:
    return [row.username for row in watchers.list_watchers(as_(db), ticket_id)]


def opened(db, actor=BOB, **fields) -> int:
    return open_ticket(as_(db, actor), parse(TicketCreate, {"title": "t", **fields})).item.ticket_id


def test_the_reporter_and_assignee_of_a_new_ticket_watch_it_but_the_anonymous_caller_does_not(db):
    assert watching(db, opened(db, ANN, assignee="bob")) == ["ann", "bob"]
    assert watching(db, opened(db, FakeUnitOfWork(db).actor, assignee="cal")) == ["cal"]


def test_a_new_assignee_joins_the_watchers_and_unassigning_removes_nobody(db):
    ticket_id = opened(db)
    edit_ticket(as_(db), ticket_id, parse(TicketPatch, {"assignee": "cal"}), Precondition())
    assert watching(db, ticket_id) == ["bob", "cal"]
    edit_ticket(as_(db), ticket_id, parse(TicketPatch, {"assignee": None}), Precondition())
    bulk_edit(
        as_(db),
        parse(BulkPatch, {"items": [{"ticket_id": ticket_id, "version": 3, "changes": {"assignee": "ann"}}]}).items,
    )
    assert watching(db, ticket_id) == ["bob", "cal", "ann"]


def test_a_reporter_watches_only_themselves_and_an_agent_anyone(db):
    ticket_id, commits = opened(db), db.commits
    with pytest.raises(Forbidden):
        watchers.watch(as_(db, BOB), ticket_id, "cal")
    with pytest.raises(Forbidden):
        watchers.unwatch(as_(db, CAL), ticket_id, "bob")
    assert db.commits == commits and watching(db, ticket_id) == ["bob"]
    watchers.watch(as_(db, CAL), ticket_id, "me")
    watchers.watch(as_(db, CAL), ticket_id, "CAL")
    watchers.watch(as_(db, ANN), ticket_id, "ann")
    assert watching(db, ticket_id) == ["bob", "cal", "ann"]
    watchers.unwatch(as_(db, ANN), ticket_id, "bob")
    watchers.unwatch(as_(db, ANN), ticket_id, "bob")
    assert watching(db, ticket_id) == ["cal", "ann"]


def test_watching_needs_a_ticket_and_an_active_user_and_never_the_anonymous_one(db):
    ticket_id = opened(db)
    for ticket, name, error in [(99, "me", NotFound), (ticket_id, "nobody", NotFound), (ticket_id, "gone", NotFound)]:
        with pytest.raises(error):
            watchers.watch(as_(db), ticket, name)
    with pytest.raises(RuleBroken):
        watchers.watch(FakeUnitOfWork(db), ticket_id, "me")
    watchers.unwatch(as_(db), ticket_id, "gone")  # a deactivated user can still be removed
    with pytest.raises(NotFound):
        watchers.list_watchers(as_(db), 99)


IDS = itertools.count(1)


def told(db, username: str, read: bool = False) -> int:
    user = db.state.users[username]
    when = datetime(2026, 1, 1, tzinfo=timezone.utc)
    n = Notification(notification_id=next(IDS), user_id=user.user_id, ticket_id=1, event="changed", actor="x",
                     title="t", changes=[], entry_ids=[], created=when, read_at=when if read else None)  # fmt: skip
    db.state.notifications[n.notification_id] = n
    return n.notification_id


def walk(db, actor, **query) -> list[int]:
    seen, after = [], None
    while True:
        page = inbox.list_notifications(as_(db, actor), InboxQuery(after=after, **query))
        seen += [n.notification_id for n in page.items]
        if page.next_after is None:
            return seen
        after = page.next_after


def test_the_inbox_is_mine_newest_first_or_unread_first_whatever_the_page_size(db):
    made = [(told(db, "bob", read=i % 3 == 0), i % 3 == 0) for i in range(8)]
    told(db, "cal")
    newest = [n for n, _ in reversed(made)]
    unread_first = [n for n in newest if not dict(made)[n]] + [n for n in newest if dict(made)[n]]
    for limit in (1, 2, 3, 8, 20):
        assert walk(db, BOB, limit=limit) == newest
        assert walk(db, BOB, limit=limit, order="unread") == unread_first
        assert walk(db, BOB, limit=limit, order="unread", unread=False) == [n for n in newest if dict(made)[n]]
    assert inbox.list_notifications(as_(db, BOB), InboxQuery()).unread == 5


def test_marking_is_only_ever_of_my_own_notifications(db):
    mine, theirs = told(db, "bob"), told(db, "cal")
    with pytest.raises(NotFound):
        inbox.mark(as_(db, BOB), theirs, True)
    assert db.state.notifications[theirs].read_at is None
    assert inbox.mark(as_(db, BOB), mine, True).read_at is not None
    assert inbox.mark_read_up_to(as_(db, CAL), mine) == 0
    assert inbox.mark_read_up_to(as_(db, CAL), theirs) == 1
    assert inbox.mark(as_(db, BOB), mine, False).read_at is None


def test_preferences_default_then_replaced_deduplicated_in_order_and_unknown_names_refused(db):
    assert (inbox.get_preferences(as_(db, BOB)).events, inbox.get_preferences(as_(db, BOB)).chosen) == (
        inbox.DEFAULT_EVENTS, False,
    )  # fmt: skip
    chosen = inbox.set_preferences(as_(db, BOB), ["moved", "created", "moved"], ["email", "inbox"])
    assert (chosen.events, chosen.channels, chosen.chosen, chosen.email_unreachable) == (
        ("created", "moved"), ("inbox", "email"), True, False,
    )  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        inbox.set_preferences(as_(db, BOB), ["created", "exploded"], [])
    assert list(refused.value.errors) == ["events"]
    with pytest.raises(RuleBroken):
        inbox.set_preferences(FakeUnitOfWork(db), [], [])
    assert inbox.get_preferences(as_(db, BOB)).events == ("created", "moved")
    assert inbox.get_preferences(as_(db, CAL)).chosen is False


def test_email_without_an_address_is_kept_and_flagged(db):
    with FakeUnitOfWork(db) as uow:
        uow.users.add(username="dee")
        uow.commit()
    assert inbox.set_preferences(as_(db, Actor("dee", "reporter")), [], ["email"]).email_unreachable is True
