"""What a change set is called (iris/services/events.py) and how long the worker waits before a retry."""

import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from iris.jobs.handlers import Backoff
from iris.services import events

AT = datetime(2026, 11, 30, tzinfo=timezone.utc)
CHANGESET = uuid.uuid4()


def entry(entry_id, action, field=None, old=None, new=None):
    return SimpleNamespace(entry_id=entry_id, ticket_id=7, changeset=CHANGESET, actor="ann", at=AT, action=action,
                           field=field, old=old, new=new)  # fmt: skip


def test_a_new_ticket_with_an_assignee_is_created_for_everyone_and_assigned_for_the_assignee():
    event = events.of_entries([entry(1, "created", new={"title": "t", "assignee": "Bob"})])
    assert event.primary == "created" and event.kinds == {"created", "assigned"}
    assert event.kinds_for("bob") == {"created", "assigned"}  # usernames are one whatever the case
    assert event.kinds_for("cy") == {"created", "changed"}


def test_a_change_set_is_named_by_what_matters_most_and_keeps_its_entries_in_order():
    entries = [entry(4, "changed", "title", "a", "b"), entry(5, "transition", "status", "Open", "Done"),
               entry(6, "changed", "assignee", "ann", "cy")]  # fmt: skip
    event = events.of_entries(entries)
    assert event.primary == "moved" and event.kinds == {"changed", "moved", "assigned"}
    assert event.assigned_to == "cy" and event.entry_ids == (4, 5, 6)
    assert [c["field"] for c in event.changes] == ["title", "status", "assignee"]


def test_comments_and_deletions_have_their_own_names_and_no_entries_is_no_event():
    assert events.of_entries([entry(1, "comment_edited", "comments")]).primary == "commented"
    assert events.of_entries([entry(1, "deleted", old={"title": "t"})]).primary == "deleted"
    assert events.of_entries([]) is None


def job(attempts: int):
    return SimpleNamespace(attempts=attempts)


def test_backoff_doubles_with_jitter_up_to_the_cap():
    backoff = Backoff(base_s=10, cap_s=100)
    for attempts, ceiling in ((0, 10), (1, 20), (2, 40), (3, 80), (4, 100), (40, 100)):
        waits = [backoff.wait_s(attempts) for _ in range(200)]
        assert ceiling / 2 <= min(waits) and max(waits) <= ceiling
        assert max(waits) - min(waits) > ceiling / 10, "jittered, so retries of many jobs spread out"


def test_a_retry_waits_at_least_what_retry_after_asked_within_the_cap():
    backoff = Backoff(base_s=1, cap_s=600)
    assert 300 <= backoff.delay_s(0, 300) <= 300.001
    assert backoff.delay_s(0, 10**9) == 600
    assert backoff.delay_s(0, None) <= 1 and backoff.delay_s(0, 0.1) <= 1


def test_a_job_retries_after_its_backoff_and_stops_at_the_bound():
    backoff = Backoff(base_s=10, cap_s=600, max_attempts=5)
    decision = backoff.get_retry_decision(exception=RuntimeError(), job=job(1))
    assert decision.retry_at >= datetime.now(timezone.utc) + timedelta(seconds=9)
    assert decision.retry_at <= datetime.now(timezone.utc) + timedelta(seconds=21)
    assert backoff.get_retry_decision(exception=RuntimeError(), job=job(4)) is None
