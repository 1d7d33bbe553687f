"""The inbox and notification preferences over HTTP: only my own notifications, keyset pages in two orders,
marking read, and preferences with their defaults and rules."""

import base64
import json

import pytest
import webtest
from sqlalchemy import delete

from iris.models_notify import Notification
from iris.services import tokens, users
from tests.integration.identities import _uow, make_cast
from tests.integration.inbox_support import add_notification, read_at
from tests.support import link

INBOX = "/user/notifications"
PREFERENCES = "/user/notification-preferences"


@pytest.fixture
def cast(required):
    cast = make_cast(required.engine)
    with required.engine.begin() as conn:
        conn.execute(delete(Notification))  # the cast's own (for the authorisation table): each test makes its own
    return cast


@pytest.fixture
def http(required):
    return webtest.TestApp(required)


def ids(answer) -> list[int]:
    return [item["notification_id"] for item in answer.json]


def walk(http, url, headers) -> tuple[list[int], list[str]]:
    """Every page from `url` on: the ids in order, and each page's URL."""
    seen, pages = [], []
    while url is not None:
        pages.append(url)
        answer = http.get(url, headers=headers)
        seen += ids(answer)
        url = link(answer.headers, "next")
    return seen, pages


def token(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_i_see_only_my_own_notifications_newest_first_with_links_and_an_unread_count(http, cast, required):
    engine = required.engine
    mine = [add_notification(engine, "rep", cast.ticket_id, event=e) for e in ("assigned", "commented")]
    theirs = add_notification(engine, "agent", cast.ticket_id)
    answer = http.get(INBOX, headers=cast.headers["reporter"])
    assert ids(answer) == mine[::-1]
    assert answer.headers["X-Unread-Count"] == "2" and "Link" not in answer.headers
    item = answer.json[0]
    assert (item["event"], item["ticket_id"], item["actor"], item["title"]) == (
        "commented", cast.ticket_id, "someone", f"ticket {cast.ticket_id}",
    )  # fmt: skip
    assert item["changes"] == [{"field": "title", "old": "before", "new": "after"}]
    assert (item["read"], item["read_at"], item["entry_ids"]) == (False, None, [1, 2])
    assert item["links"] == {"ticket": f"/tickets/{cast.ticket_id}", "history": f"/tickets/{cast.ticket_id}/history"}
    assert item["created"].endswith("+00:00")
    assert ids(http.get(INBOX, headers=cast.headers["agent"])) == [theirs]
    assert http.get(INBOX, headers=cast.headers["admin"]).json == []


def test_someone_elses_notification_is_not_found_and_stays_unread(http, cast, required):
    theirs = add_notification(required.engine, "agent", cast.ticket_id)
    missing = http.patch_json(f"{INBOX}/{theirs}", {"read": True}, headers=cast.headers["admin"], status=404)
    assert missing.json == {"errors": {"notification": f"notification {theirs} does not exist"}}
    http.patch_json(f"{INBOX}/{theirs + 1000}", {"read": True}, headers=cast.headers["admin"], status=404)
    assert read_at(required.engine, theirs) is None
    assert http.post_json(f"{INBOX}/read", {"up_to": theirs}, headers=cast.headers["admin"]).json == {"marked": 0}
    assert read_at(required.engine, theirs) is None


def test_marking_read_keeps_when_it_first_was_and_marking_unread_clears_it(http, cast, required):
    mine = add_notification(required.engine, "rep", cast.ticket_id)
    me = cast.headers["reporter"]
    first = http.patch_json(f"{INBOX}/{mine}", {"read": True}, headers=me).json
    assert first["read"] is True and first["read_at"] is not None
    again = http.patch_json(f"{INBOX}/{mine}", {"read": True}, headers=me).json
    assert again["read_at"] == first["read_at"]
    assert http.get(INBOX, headers=me).headers["X-Unread-Count"] == "0"
    unread = http.patch_json(f"{INBOX}/{mine}", {"read": False}, headers=me).json
    assert (unread["read"], unread["read_at"]) == (False, None)
    for bad in ({}, {"read": "yes"}, {"read": 1}, {"read": True, "extra": 1}):
        http.patch_json(f"{INBOX}/{mine}", bad, headers=me, status=400)
    http.patch_json(f"{INBOX}/0", {"read": True}, headers=me, status=400)
    http.patch_json(f"{INBOX}/{2**63}", {"read": True}, headers=me, status=400)
    http.patch_json(f"{INBOX}/{2**63 - 1}", {"read": True}, headers=me, status=404)


def test_marking_all_up_to_an_id_marks_only_my_unread_ones_up_to_it(http, cast, required):
    engine = required.engine
    first, second = (add_notification(engine, "rep", cast.ticket_id) for _ in range(2))
    already = add_notification(engine, "rep", cast.ticket_id, read=True)
    theirs = add_notification(engine, "asg", cast.ticket_id)
    later = add_notification(engine, "rep", cast.ticket_id)
    before = read_at(engine, already)
    me = cast.headers["reporter"]
    assert http.post_json(f"{INBOX}/read", {"up_to": theirs}, headers=me).json == {"marked": 2}
    assert [read_at(engine, n) is not None for n in (first, second, theirs, later)] == [True, True, False, False]
    assert read_at(engine, already) == before
    assert http.post_json(f"{INBOX}/read", {"up_to": theirs}, headers=me).json == {"marked": 0}
    for bad in ({}, {"up_to": 0}, {"up_to": "5"}, {"up_to": 2**63}):
        http.post_json(f"{INBOX}/read", bad, headers=me, status=400)


def test_pages_in_time_order_follow_the_link_to_the_end_keeping_the_filters(http, cast, required):
    engine = required.engine
    made = [add_notification(engine, "rep", cast.ticket_id, read=i % 3 == 0) for i in range(7)]
    me = cast.headers["reporter"]
    seen, pages = walk(http, f"{INBOX}?limit=2", me)
    assert seen == made[::-1] and len(pages) == 4
    unread = [n for i, n in enumerate(made) if i % 3 != 0]
    seen, pages = walk(http, f"{INBOX}?unread=true&limit=3", me)
    assert seen == unread[::-1] and all("unread=true" in page for page in pages)
    read = [n for i, n in enumerate(made) if i % 3 == 0]
    assert walk(http, f"{INBOX}?unread=false&limit=1", me)[0] == read[::-1]


def test_unread_first_puts_unread_ones_first_then_newest_first_across_pages(http, cast, required):
    engine = required.engine
    made = [add_notification(engine, "rep", cast.ticket_id, read=i % 2 == 0) for i in range(7)]
    me = cast.headers["reporter"]
    unread, read = [n for n in made[::-1] if made.index(n) % 2], [n for n in made[::-1] if made.index(n) % 2 == 0]
    for limit in (1, 2, 3, 7, 50):
        seen, pages = walk(http, f"{INBOX}?order=unread&limit={limit}", me)
        assert seen == unread + read, limit
        assert all("order=unread" in page for page in pages)
    assert walk(http, f"{INBOX}?order=unread&unread=true&limit=2", me)[0] == unread
    assert walk(http, f"{INBOX}?order=unread&unread=false&limit=2", me)[0] == read


def test_hostile_cursors_and_limits_are_refused_and_never_a_server_error(http, cast, required):
    for _ in range(3):
        add_notification(required.engine, "rep", cast.ticket_id)
    me = cast.headers["reporter"]
    time_cursor = link(http.get(f"{INBOX}?limit=1", headers=me).headers, "next").split("after=")[1]
    http.get(f"{INBOX}?order=unread&after={time_cursor}", headers=me, status=422)  # another order's cursor
    for after in ("@@", "a%00b", "x" * 201, ""):
        assert "after" in http.get(f"{INBOX}?after={after}", headers=me, status=400).json["errors"]
    hostile = [
        "notacursor", token({"o": "time", "v": ["-1"]}), token({"o": "time", "v": ["9" * 20]}),
        token({"o": "time", "v": [str(2**63)]}), token({"o": "time", "v": [5]}), token({"o": "time", "v": []}),
        token({"o": "time", "v": ["١٢"]}), token({"o": "unread", "v": [2, "5"]}),
        token({"o": "unread", "v": [True, "5"]}), token({"o": "unread", "v": ["5"]}), token([1, 2]),
    ]  # fmt: skip
    for after in hostile:
        order = "unread" if "unread" in base64.urlsafe_b64decode(after + "==").decode("utf-8", "replace") else "time"
        refused = http.get(f"{INBOX}?order={order}&after={after}", headers=me, status=422)
        assert list(refused.json["errors"]) == ["after"], after
    for query in ("limit=0", "limit=501", "limit=-1", "limit=abc", "limit=" + "9" * 30, "order=oldest", "unread=1"):
        http.get(f"{INBOX}?{query}", headers=me, status=400)
    assert len(http.get(f"{INBOX}?after={token({'o': 'time', 'v': [str(2**63 - 1)]})}", headers=me).json) == 3


def test_preferences_start_as_the_defaults_and_are_replaced_normalised(http, cast):
    me = cast.headers["reporter"]
    assert http.get(PREFERENCES, headers=me).json == {
        "events": ["assigned", "commented", "moved", "changed", "deleted"],
        "channels": ["inbox"],
        "defaults": True,
        "warnings": {},
    }
    chosen = {"events": ["deleted", "created", "deleted"], "channels": ["email", "inbox", "email"]}
    expected = {"events": ["created", "deleted"], "channels": ["inbox", "email"], "defaults": False, "warnings": {}}
    assert http.put_json(PREFERENCES, chosen, headers=me).json == expected
    assert http.get(PREFERENCES, headers=me).json == expected
    assert http.get(PREFERENCES, headers=cast.headers["agent"]).json["defaults"] is True, "each user has their own"
    nothing = http.put_json(PREFERENCES, {"events": [], "channels": []}, headers=me).json
    assert (nothing["events"], nothing["channels"]) == ([], [])


def test_unknown_or_missing_preferences_are_refused_naming_the_field(http, cast):
    me = cast.headers["reporter"]
    for bad, field in [
        ({"events": ["exploded"], "channels": []}, "events.0"),
        ({"events": [], "channels": ["pigeon"]}, "channels.0"),
        ({"events": []}, "channels"),
        ({"channels": []}, "events"),
        ({"events": "created", "channels": []}, "events"),
        ({"events": [], "channels": [], "sms": True}, "sms"),
    ]:
        assert field in http.put_json(PREFERENCES, bad, headers=me, status=400).json["errors"], bad
    assert http.get(PREFERENCES, headers=me).json["defaults"] is True


def test_email_without_an_address_is_accepted_with_a_warning(http, required):
    users.create_user(_uow(required.engine), {"username": "noaddr"})
    me = {"Authorization": f"Bearer {tokens.issue_token(_uow(required.engine), 'noaddr', 't', None).secret}"}
    chosen = http.put_json(PREFERENCES, {"events": ["assigned"], "channels": ["email"]}, headers=me).json
    assert chosen["channels"] == ["email"] and "no address on file" in chosen["warnings"]["channels"]
    assert http.get(PREFERENCES, headers=me).json["warnings"] == chosen["warnings"]
    http.patch_json("/users/noaddr", {"email": "noaddr@example.org"}, headers=me)
    assert http.get(PREFERENCES, headers=me).json["warnings"] == {}


def test_in_open_mode_the_anonymous_caller_has_the_defaults_and_cannot_choose(client):
    assert client.get(PREFERENCES).json["defaults"] is True
    refused = client.put_json(PREFERENCES, {"events": [], "channels": []}, status=422)
    assert list(refused.json["errors"]) == ["username"]
    answer = client.get(INBOX)
    assert (answer.json, answer.headers["X-Unread-Count"]) == ([], "0")
