"""The services against a fake unit of work: use cases, their journal and their commits, with no database."""

import pytest

from iris.errors import BulkItemFailed, NotFound, PreconditionRequired, RuleBroken, VersionMismatch
from iris.repositories.idempotency_keys import KeptAnswer
from iris.schemas import BulkPatch, TicketCreate, TicketPatch, TransitionRequest, parse
from iris.services.idempotency import Created, KeyUse, Replayed
from iris.services.preconditions import ANY, NEVER, Precondition, expect
from iris.services.tickets import bulk_edit, delete_ticket, edit_ticket, open_ticket
from iris.services.workflows import move_ticket
from tests.unit.fakes import FakeDatabase, FakeUnitOfWork


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


def uow(db: FakeDatabase) -> FakeUnitOfWork:
    return FakeUnitOfWork(db)


def opened(db: FakeDatabase, title: str = "Printer on fire", **fields) -> int:
    """A committed ticket's id; the commit count and journal start afresh after it."""
    ticket = open_ticket(uow(db), parse(TicketCreate, {"title": title, **fields})).item
    db.commits, db.state.history = 0, []
    return ticket.ticket_id


def journal(db: FakeDatabase) -> list[tuple]:
    return [(e.ticket_id, e.action, e.field, e.old, e.new, e.actor) for e in db.state.history]


def patch(**fields) -> TicketPatch:
    return parse(TicketPatch, fields)


def to(status: str, **extra) -> TransitionRequest:
    return parse(TransitionRequest, {"to": status, **extra})


def test_opening_a_ticket_puts_it_in_the_initial_status_journals_its_creation_and_commits_once(db):
    created = open_ticket(uow(db), parse(TicketCreate, {"title": "Printer on fire"}))

    ticket = created.item
    assert isinstance(created, Created)
    assert (ticket.workflow, ticket.status, ticket.version) == ("default", "Open", 1)
    assert db.state.tickets[ticket.ticket_id].title == "Printer on fire"
    assert [(e.ticket_id, e.action, e.actor) for e in db.state.history] == [(ticket.ticket_id, "created", "anonymous")]
    assert db.state.history[0].new["status"] == "Open"
    assert db.commits == 1


def test_opening_a_ticket_in_an_unknown_workflow_breaks_a_rule_naming_workflow_and_commits_nothing(db):
    with pytest.raises(RuleBroken) as broken:
        open_ticket(uow(db), parse(TicketCreate, {"title": "Lost", "workflow": "nowhere"}))

    assert list(broken.value.errors) == ["workflow"]
    assert (db.commits, db.state.tickets, db.state.history) == (0, {}, [])


def test_an_edit_against_a_stale_version_is_refused_and_nothing_is_committed_or_journaled(db):
    ticket_id = opened(db)

    with pytest.raises(VersionMismatch) as stale:
        edit_ticket(uow(db), ticket_id, patch(title="Overwritten"), Precondition.at(7))

    assert stale.value.current == 1
    assert (db.state.tickets[ticket_id].title, db.state.tickets[ticket_id].version) == ("Printer on fire", 1)
    assert (db.commits, journal(db)) == (0, [])


def test_an_edit_at_the_current_version_changes_the_field_bumps_the_version_and_journals_the_change(db):
    ticket_id = opened(db)

    edited = edit_ticket(uow(db), ticket_id, patch(assignee="ada"), Precondition.at(1))

    assert (edited.assignee, edited.version) == ("ada", 2)
    assert (db.state.tickets[ticket_id].assignee, db.state.tickets[ticket_id].version) == ("ada", 2)
    assert journal(db) == [(ticket_id, "changed", "assignee", None, "ada", "anonymous")]
    assert db.commits == 1


def test_an_edit_that_changes_nothing_keeps_the_version_and_journals_nothing(db):
    ticket_id = opened(db)

    edited = edit_ticket(uow(db), ticket_id, patch(title="Printer on fire"), Precondition.at(1))

    assert edited.version == 1
    assert (db.commits, journal(db)) == (1, [])


@pytest.mark.parametrize(
    "write",
    [
        lambda u, ticket_id, p: edit_ticket(u, ticket_id, patch(title="x"), p),
        lambda u, ticket_id, p: delete_ticket(u, ticket_id, p),
        lambda u, ticket_id, p: move_ticket(u, ticket_id, to("Closed"), p),
    ],
    ids=["edit", "delete", "move"],
)
def test_a_missing_precondition_is_refused_before_the_ticket_is_even_looked_up(db, write):
    with pytest.raises(PreconditionRequired):
        write(uow(db), 404, Precondition(missing=True))  # no ticket 404: a lookup would have said NotFound

    assert db.commits == 0


def test_an_edit_that_states_no_version_where_none_is_required_still_needs_the_ticket_to_exist(db):
    with pytest.raises(NotFound):
        edit_ticket(uow(db), 404, patch(title="x"), Precondition())


def test_moving_along_an_allowed_transition_changes_the_status_and_journals_a_transition(db):
    ticket_id = opened(db)

    moved = move_ticket(uow(db), ticket_id, to("In Progress"), Precondition.at(1))

    assert (moved.ticket.status, moved.ticket.version) == ("In Progress", 2)
    assert db.state.tickets[ticket_id].status == "In Progress"
    assert journal(db) == [(ticket_id, "transition", "status", "Open", "In Progress", "anonymous")]
    assert db.commits == 1


def test_a_move_with_a_comment_stores_both_and_the_comment_bumps_the_version_too(db):
    ticket_id = opened(db)

    moved = move_ticket(uow(db), ticket_id, to("Resolved", comment="fixed it"), Precondition())

    assert (moved.ticket.status, moved.ticket.version, moved.comment_count) == ("Resolved", 3, 1)
    assert [c.body for c in moved.comments] == ["fixed it"]
    assert [e[1] for e in journal(db)] == ["transition", "comment_added"]


def test_an_illegal_move_breaks_a_rule_listing_the_allowed_moves_and_commits_nothing(db):
    ticket_id = opened(db)
    move_ticket(uow(db), ticket_id, to("In Progress"), Precondition())
    db.commits, db.state.history = 0, []

    with pytest.raises(RuleBroken) as broken:
        move_ticket(uow(db), ticket_id, to("Closed", comment="skipping ahead"), Precondition())

    allowed = [{"name": "resolve", "to": "Resolved"}, {"name": "stop", "to": "Open"}]
    assert (list(broken.value.errors), broken.value.details) == (["transition"], {"allowed": allowed})
    assert (db.state.tickets[ticket_id].status, db.state.tickets[ticket_id].version) == ("In Progress", 2)
    assert (db.commits, journal(db), db.state.comments) == (0, [], {})


def bulk(*items: tuple[int, int, dict]) -> list:
    return parse(BulkPatch, {"items": [{"ticket_id": i, "version": v, "changes": c} for i, v, c in items]}).items


@pytest.mark.parametrize("failing,cause", [("missing", NotFound), ("stale", VersionMismatch)])
def test_a_failing_bulk_item_is_named_and_nothing_of_the_bulk_edit_is_written(db, failing, cause):
    first, second = opened(db, "one"), opened(db, "two")
    failing = (404, 1) if failing == "missing" else (second, 5)
    db.commits = 0

    with pytest.raises(BulkItemFailed) as failed:
        bulk_edit(uow(db), bulk((first, 1, {"title": "ONE"}), (*failing, {"title": "TWO"})))

    assert (failed.value.index, failed.value.ticket_id, type(failed.value.cause)) == (1, failing[0], cause)
    assert [(t.title, t.version) for t in db.state.tickets.values()] == [("one", 1), ("two", 1)]
    assert (db.commits, journal(db)) == (0, [])


def test_a_bulk_edit_changes_every_ticket_and_journals_each_change_in_one_commit(db):
    first, second = opened(db, "one"), opened(db, "two")
    db.commits = 0

    done = bulk_edit(uow(db), bulk((second, 1, {"assignee": "bo"}), (first, 1, {"title": "ONE"})))

    assert [(t.ticket_id, t.version) for t in done] == [(second, 2), (first, 2)]
    assert journal(db) == [
        (second, "changed", "assignee", None, "bo", "anonymous"),
        (first, "changed", "title", "one", "ONE", "anonymous"),
    ]
    assert len({e.changeset for e in db.state.history}) == 1
    assert db.commits == 1


def key_use(key: str = "k-1", fingerprint: str = "POST /tickets {title}") -> KeyUse:
    """`keep` turns the created ticket into the answer its retries get."""
    return KeyUse(key, fingerprint, 24, keep=lambda t: KeptAnswer(201, {"id": t.ticket_id}, f"/t/{t.ticket_id}"))


def test_a_create_retried_with_its_key_replays_the_kept_answer_and_makes_one_ticket(db):
    data = parse(TicketCreate, {"title": "Once"})

    first = open_ticket(uow(db), data, key_use())
    again = open_ticket(uow(db), data, key_use())

    assert isinstance(first, Created) and isinstance(again, Replayed)
    assert again.answer == KeptAnswer(201, {"id": first.item.ticket_id}, f"/t/{first.item.ticket_id}")
    assert (list(db.state.tickets), db.commits) == ([first.item.ticket_id], 1)


def test_a_key_used_again_for_another_request_breaks_a_rule(db):
    open_ticket(uow(db), parse(TicketCreate, {"title": "Once"}), key_use())

    with pytest.raises(RuleBroken) as broken:
        open_ticket(uow(db), parse(TicketCreate, {"title": "Other"}), key_use(fingerprint="POST /tickets {other}"))

    assert list(broken.value.errors) == ["Idempotency-Key"]
    assert (len(db.state.tickets), db.commits) == (1, 1)


def test_a_create_that_fails_leaves_its_key_free_for_the_retry(db):
    with pytest.raises(RuleBroken):
        open_ticket(uow(db), parse(TicketCreate, {"title": "Lost", "workflow": "nowhere"}), key_use())

    retried = open_ticket(uow(db), parse(TicketCreate, {"title": "Found"}), key_use())

    assert isinstance(retried, Created)
    assert db.state.keys["anonymous", "k-1"].answer.status == 201


@pytest.mark.parametrize(
    "if_match,body_version,required,expected",
    [
        (frozenset({3}), None, True, Precondition.at(3)),
        (frozenset({3, 9}), None, True, Precondition(frozenset({3, 9}))),
        (frozenset(), None, True, Precondition(NEVER)),
        (frozenset({3}), 3, False, Precondition.at(3)),
        (frozenset({3}), 4, False, Precondition(NEVER)),
        (frozenset({3, 4}), 4, False, Precondition.at(4)),
        (ANY, None, True, Precondition()),
        (ANY, 5, True, Precondition.at(5)),
        (None, 5, True, Precondition.at(5)),
        (None, None, True, Precondition(missing=True)),
        (None, None, False, Precondition()),
    ],
)
def test_expect_turns_if_match_and_the_body_version_into_one_precondition(if_match, body_version, required, expected):
    assert expect(if_match, body_version, required) == expected


def test_a_unit_of_work_cannot_be_entered_twice():
    unit = FakeUnitOfWork()
    with unit:
        pass

    with pytest.raises(RuntimeError):
        with unit:
            pass


def test_leaving_a_unit_of_work_without_committing_undoes_its_writes(db):
    with uow(db) as unit:
        unit.tickets.open("default", title="Never", assignee=None, description=None, due=None)

    assert (db.state.tickets, db.commits) == ({}, 0)


def test_idempotency_keys_are_each_callers_own(db):
    from iris.services.identity import Actor

    def keyed(actor):
        key = KeyUse("shared", "same-request", 24, keep=lambda t: KeptAnswer(201, {"ticket_id": t.ticket_id}, None))
        return open_ticket(FakeUnitOfWork(db, actor), parse(TicketCreate, {"title": "mine"}), key)

    ann, bob = Actor("ann", "agent"), Actor("bob", "agent")
    first, second, again = keyed(ann), keyed(bob), keyed(ann)
    assert isinstance(first, Created) and isinstance(second, Created), "bob's key is not ann's"
    assert isinstance(again, Replayed) and again.answer.body == {"ticket_id": first.item.ticket_id}
    assert len(db.state.tickets) == 2


def test_rights_follow_the_role_and_the_record(db):
    from iris.errors import Forbidden
    from iris.schemas import CommentCreate, CommentPatch
    from iris.services.comments import comment_on, edit_comment
    from iris.services.identity import Actor

    ann, bob, agent = Actor("ann", "reporter"), Actor("bob", "reporter"), Actor("cy", "agent")
    ticket = open_ticket(FakeUnitOfWork(db, ann), parse(TicketCreate, {"title": "ann's"})).item
    assert ticket.reporter == "ann"
    edit_ticket(FakeUnitOfWork(db, ann), ticket.ticket_id, patch(title="ann may"), Precondition())
    with pytest.raises(Forbidden, match="reporter or assignee"):
        edit_ticket(FakeUnitOfWork(db, bob), ticket.ticket_id, patch(title="bob may not"), Precondition())
    with pytest.raises(Forbidden, match="agent role to assign"):
        edit_ticket(FakeUnitOfWork(db, ann), ticket.ticket_id, patch(assignee="bob"), Precondition())
    edit_ticket(FakeUnitOfWork(db, agent), ticket.ticket_id, patch(assignee="bob"), Precondition())
    with pytest.raises(Forbidden, match="agent role, or to be the ticket's assignee"):
        move_ticket(FakeUnitOfWork(db, ann), ticket.ticket_id, to("In Progress"), Precondition())
    move_ticket(FakeUnitOfWork(db, bob), ticket.ticket_id, to("In Progress"), Precondition())
    note = comment_on(FakeUnitOfWork(db, ann), ticket.ticket_id, parse(CommentCreate, {"body": "hi"})).item
    assert note.author == "ann"
    with pytest.raises(Forbidden, match="admin role to set another author"):
        comment_on(FakeUnitOfWork(db, ann), ticket.ticket_id, parse(CommentCreate, {"body": "x", "author": "bob"}))
    with pytest.raises(Forbidden, match="comment's author"):
        edit_comment(
            FakeUnitOfWork(db, bob), note.comment_id, parse(CommentPatch, {"body": "mine now"}), Precondition()
        )
    assert [e.actor for e in db.state.history] == ["ann", "ann", "cy", "bob", "ann"]
