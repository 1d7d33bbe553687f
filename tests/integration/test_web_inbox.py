"""Watching from the ticket page, the inbox page and notification preferences on the account page: the watchers
and inbox services, shown to people, with the same rules, CSRF on every form, and only ever one's own."""

import pytest
import webtest
from sqlalchemy import text

from iris.repositories.web_sessions import UNREAD_COUNTED
from iris.services import tokens
from iris.services.identity import Actor
from tests.integration.inbox_support import add_notification, read_at
from tests.integration.test_web_pages import PARTIAL, open_ticket
from tests.integration.web_support import csrf_of, form_for, sign_in, uow

XSS = "<script>alert(1)</script>"


def watcher_names(page) -> list[str]:
    return [li.text.strip() for li in page.html.select("ul.watchers li")]


def api_watchers(client, ticket_id: int) -> list[str]:
    return [w["username"] for w in client.get(f"/tickets/{ticket_id}/watchers").json]


def inbox_ids(page) -> list[int]:
    return [int(li["id"].removeprefix("notification-")) for li in page.html.select("li.note")]


# --- watching ---------------------------------------------------------------------------------------------------


def test_watch_and_stop_watching_from_the_ticket_page_and_the_api_agrees(web, web_app, client):
    ticket = open_ticket(web_app, "watch me", by="rep")  # the reporter watches it from the start
    sign_in(web, "ann")
    page = web.get(f"/ticket/{ticket}")
    assert watcher_names(page) == ["rep"] and page.html.select_one("#watchers-heading").text == "Watchers (1)"
    watched = form_for(page, f"/ticket/{ticket}/watch").submit(status=303)
    assert watched.headers["Location"].endswith(f"/ticket/{ticket}")
    page = watched.follow()
    assert watcher_names(page) == ["rep", "ann"] and api_watchers(client, ticket) == ["rep", "ann"]
    assert page.html.select_one("#watching") and not page.html.select(f"form[action='/ticket/{ticket}/watch']")
    page = form_for(page, f"/ticket/{ticket}/unwatch").submit(status=303).follow()
    assert watcher_names(page) == ["rep"] and api_watchers(client, ticket) == ["rep"]
    assert form_for(page, f"/ticket/{ticket}/watch").fields["csrf"][0].value == csrf_of(page)


def test_watching_twice_is_fine_and_with_the_script_answers_the_tickets_part(web, web_app, client):
    ticket = open_ticket(web_app, "twice")
    sign_in(web, "rep")
    token = csrf_of(web.get(f"/ticket/{ticket}"))
    web.post(f"/ticket/{ticket}/watch", {"csrf": token}, status=303)
    part = web.post(f"/ticket/{ticket}/watch", {"csrf": token}, headers=PARTIAL, status=200)
    assert part.text.lstrip().startswith('<div id="ticket"') and "<html" not in part.text
    assert "Stop watching" in part.text and api_watchers(client, ticket) == ["ann", "rep"]


def test_watching_without_the_csrf_token_or_from_another_site_changes_nothing(web, web_app, client):
    ticket = open_ticket(web_app, "guarded", by="rep")
    sign_in(web, "ann")
    token = csrf_of(web.get(f"/ticket/{ticket}"))
    for path in (f"/ticket/{ticket}/watch", f"/ticket/{ticket}/unwatch"):
        assert "CSRF" in web.post(path, {"x": "1"}, status=403).text
        web.post(path, {"csrf": "0" * 64}, status=403)
        web.post(path, {"csrf": token}, headers={"Origin": "http://evil.example"}, status=403)
    web.post(f"/ticket/{ticket}/unwatch", {"csrf": token}, headers={"Sec-Fetch-Site": "cross-site"}, status=403)
    assert api_watchers(client, ticket) == ["rep"]


def test_watching_a_missing_ticket_or_a_bad_id_is_an_error_page(web):
    sign_in(web, "ann")
    token = csrf_of(web.get("/"))
    missing = web.post("/ticket/999/watch", {"csrf": token}, status=404)
    assert missing.html.title.text.startswith("Cannot show this") and "ticket 999 does not exist" in missing.text
    web.post("/ticket/x/watch", {"csrf": token}, status=400)
    web.post("/ticket/99999999999/unwatch", {"csrf": token}, status=400)
    web.get("/ticket/1/watch", status=405)


def test_watcher_names_are_escaped(web, web_app):
    with web_app.engine.begin() as conn:
        conn.execute(text("UPDATE users SET display_name = :name WHERE username = 'rep'"), {"name": XSS})
    ticket = open_ticket(web_app, "named", by="rep")
    sign_in(web, "ann")
    page = web.get(f"/ticket/{ticket}")
    assert XSS not in page.text and "&lt;script&gt;" in page.text
    assert watcher_names(page) == [f"{XSS} (rep)"]


def test_the_ticket_page_still_reads_in_four_statements_with_its_watchers(web, web_app):
    from sqlalchemy import event

    ticket = open_ticket(web_app, "counted", assignee="rep")
    sign_in(web, "ann")
    web.get(f"/ticket/{ticket}")
    seen = []
    listener = lambda conn, cursor, statement, *args: seen.append(statement)  # noqa: E731
    event.listen(web_app.engine, "before_cursor_execute", listener)
    try:
        page = web.get(f"/ticket/{ticket}")
    finally:
        event.remove(web_app.engine, "before_cursor_execute", listener)
    assert watcher_names(page) == ["ann", "rep"]
    assert len(seen) == 4, seen


def test_in_open_mode_anonymous_sees_the_watchers_but_no_button_and_cannot_post_one(open_web, app, client):
    ticket = client.post_json("/tickets", {"title": "open", "assignee": "ada"}, status=201).json["ticket_id"]
    page = open_web.get(f"/ticket/{ticket}")
    assert watcher_names(page) == ["ada"]
    assert not page.html.select("form[action$='/watch']") and "cannot watch" in page.html.select_one("#ticket").text
    refused = open_web.post(f"/ticket/{ticket}/watch", {"csrf": csrf_of(page)}, status=422)
    assert "cannot watch tickets" in refused.text and api_watchers(client, ticket) == ["ada"]


# --- the inbox --------------------------------------------------------------------------------------------------


def test_the_inbox_lists_my_notifications_newest_first_unread_ones_said_in_words(web, web_app):
    ticket = open_ticket(web_app, "printer", by="rep")
    older = add_notification(web_app.engine, "ann", ticket, read=True, actor="rep", title="printer")
    newer = add_notification(
        web_app.engine, "ann", ticket, event="moved", actor="rep", title="printer",
        changes=[{"action": "transition", "field": "status", "old": "Open", "new": "In progress"}],
    )  # fmt: skip
    sign_in(web, "ann")
    page = web.get("/inbox")
    assert page.html.title.text == "Inbox · iris" and inbox_ids(page) == [newer, older]
    first, second = page.html.select("li.note")
    assert first.select_one(".badge").text == "Unread" and not second.select(".badge"), "said in words, not colour"
    assert "rep" in first.text and "moved" in first.text and "Open → In progress" in first.text
    assert first.a["href"] == f"/ticket/{ticket}" and first.time["datetime"]
    assert page.html.select_one("#unread-count").text == "1 unread"


def test_a_hostile_title_or_change_shows_as_text(web, web_app):
    ticket = open_ticket(web_app, "plain", by="rep")
    add_notification(
        web_app.engine, "ann", ticket, actor=XSS, title=XSS,
        changes=[{"action": "changed", "field": "title", "old": XSS, "new": XSS}, "not a change"],
    )  # fmt: skip
    sign_in(web, "ann")
    page = web.get("/inbox")
    assert XSS not in page.text and page.text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3
    assert page.html.select_one("li.note a").text == f"#{ticket} {XSS}"


def test_someone_elses_notifications_are_never_shown_marked_or_counted(web, web_app):
    ticket = open_ticket(web_app, "shared", by="rep")
    mine = add_notification(web_app.engine, "ann", ticket, title="for ann")
    theirs = add_notification(web_app.engine, "rep", ticket, title="for rep only")
    sign_in(web, "ann")
    page = web.get("/inbox")
    assert inbox_ids(page) == [mine] and "for rep only" not in page.text
    token = csrf_of(page)
    missing = web.post(f"/inbox/{theirs}", {"csrf": token, "read": "1"}, status=404)
    assert f"notification {theirs} does not exist" in missing.text
    web.post("/inbox/read", {"csrf": token, "up_to": str(theirs + 1000)}, status=303)
    assert read_at(web_app.engine, theirs) is None and read_at(web_app.engine, mine) is not None


def test_mark_all_read_marks_up_to_the_newest_shown_and_not_what_came_since(web, web_app):
    ticket = open_ticket(web_app, "busy", by="rep")
    shown = [add_notification(web_app.engine, "ann", ticket) for _ in range(3)]
    sign_in(web, "ann")
    page = web.get("/inbox")
    assert page.html.select_one("#inbox-link").text == "Inbox (3 unread)"
    since = add_notification(web_app.engine, "ann", ticket)
    form = form_for(page, "/inbox/read")
    assert form["up_to"].value == str(shown[-1])
    after = form.submit(status=303).follow()
    assert all(read_at(web_app.engine, n) is not None for n in shown) and read_at(web_app.engine, since) is None
    assert after.html.select_one("#inbox-link").text == "Inbox (1 unread)"
    assert [li["id"] for li in after.html.select("li.note.unread")] == [f"notification-{since}"]


def test_one_notification_marked_read_then_unread(web, web_app):
    ticket = open_ticket(web_app, "one", by="rep")
    note = add_notification(web_app.engine, "ann", ticket)
    sign_in(web, "ann")
    page = form_for(web.get("/inbox"), f"/inbox/{note}").submit(status=303).follow()
    assert read_at(web_app.engine, note) is not None and not page.html.select("li.note.unread")
    assert page.html.select_one(f"#notification-{note} button").text == "Mark unread"
    form_for(page, f"/inbox/{note}").submit(status=303)
    assert read_at(web_app.engine, note) is None


def test_inbox_forms_refuse_a_missing_token_and_hostile_fields_with_an_error_page(web, web_app):
    ticket = open_ticket(web_app, "hostile", by="rep")
    note = add_notification(web_app.engine, "ann", ticket)
    sign_in(web, "ann")
    token = csrf_of(web.get("/inbox"))
    assert "CSRF" in web.post("/inbox/read", {"up_to": str(note)}, status=403).text
    assert "CSRF" in web.post(f"/inbox/{note}", {"read": "1"}, status=403).text
    web.post("/inbox/read", {"csrf": token, "up_to": str(note)}, headers={"Origin": "http://evil.example"}, status=403)
    assert read_at(web_app.engine, note) is None
    for fields in ({}, {"up_to": "x"}, {"up_to": "0"}, {"up_to": "9" * 30}):
        answer = web.post("/inbox/read", {"csrf": token, **fields}, status=400)
        assert answer.html.title.text.startswith("Cannot show this") and "up_to" in answer.text
    for fields in ({}, {"read": "yes"}):
        assert "read" in web.post(f"/inbox/{note}", {"csrf": token, **fields}, status=400).text
    web.post("/inbox/abc", {"csrf": token, "read": "1"}, status=400)
    web.post(f"/inbox/{2**63}", {"csrf": token, "read": "1"}, status=400)
    web.post("/inbox/123456789", {"csrf": token, "read": "1"}, status=404)
    web.get("/inbox?before=x", status=400)
    web.get("/inbox?page=2", status=400)
    assert read_at(web_app.engine, note) is None


def test_the_inbox_pages_on_to_older_notifications(web, web_app):
    ticket = open_ticket(web_app, "many", by="rep")
    made = [add_notification(web_app.engine, "ann", ticket) for _ in range(52)]
    sign_in(web, "ann")
    first = web.get("/inbox")
    assert inbox_ids(first) == made[::-1][:50]
    older = web.get(first.html.find("a", string="Older notifications")["href"])
    assert inbox_ids(older) == [made[1], made[0]] and not older.html.find("a", string="Older notifications")


def test_the_header_counts_unread_ones_up_to_a_bound_without_another_statement(web, web_app):
    from sqlalchemy import event

    ticket = open_ticket(web_app, "flood", by="rep")
    sign_in(web, "ann")
    assert web.get("/").html.select_one("#inbox-link").text == "Inbox", "none unread: no count"
    with web_app.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO notifications (user_id, ticket_id, changeset, actor, event, title, changes, entry_ids) "
                "SELECT user_id, :t, gen_random_uuid(), 'rep', 'changed', 'x', '[]', '{}' FROM users, "
                "generate_series(1, :n) WHERE username = 'ann'"
            ),
            {"t": ticket, "n": UNREAD_COUNTED + 5},
        )
    add_notification(web_app.engine, "rep", ticket)  # someone else's: never in ann's count
    seen = []
    listener = lambda conn, cursor, statement, *args: seen.append(statement)  # noqa: E731
    event.listen(web_app.engine, "before_cursor_execute", listener)
    try:
        board = web.get("/ticket/" + str(ticket))
    finally:
        event.remove(web_app.engine, "before_cursor_execute", listener)
    assert board.html.select_one("#inbox-link").text == f"Inbox ({UNREAD_COUNTED - 1}+ unread)"
    assert len(seen) == 4, "the count comes with the session's own statement"
    assert web.get("/inbox").html.select_one("#unread-count").text == f"{UNREAD_COUNTED + 5} unread"


def test_in_open_mode_anonymous_has_no_inbox_and_is_told_so(open_web):
    page = open_web.get("/inbox")
    assert "has no inbox" in page.text and not page.html.select("form[action='/inbox/read']")


def test_the_inbox_needs_signing_in(web):
    assert web.get("/inbox", status=303).headers["Location"].endswith("/sign-in?next=%2Finbox")


# --- preferences ------------------------------------------------------------------------------------------------


def ticked(page) -> dict[str, bool]:
    return {box["name"]: box.has_attr("checked") for box in page.html.select("#notifications input[type=checkbox]")}


def test_preferences_show_the_defaults_then_round_trip_with_the_api(web, web_app):
    sign_in(web, "ann")
    page = web.get("/account")
    boxes = ticked(page)
    assert boxes["event_assigned"] and not boxes["event_created"] and boxes["channel_inbox"]
    assert not boxes["channel_email"] and "these are the defaults" in page.text
    form = form_for(page, "/account/notifications")
    form["event_created"], form["event_commented"], form["channel_email"] = True, False, True
    saved = form.submit(status=303)
    assert saved.headers["Location"].endswith("/account?saved=1#notifications")
    page = saved.follow()
    assert "Saved" in page.html.select_one("#notifications [role=status]").text
    boxes = ticked(page)
    assert boxes["event_created"] and not boxes["event_commented"] and boxes["channel_email"]
    api = webtest.TestApp(web_app)
    token = _token(web_app, "ann")
    got = api.get("/user/notification-preferences", headers={"Authorization": f"Bearer {token}"}).json
    assert got["events"] == ["created", "assigned", "moved", "changed", "deleted"]
    assert got["channels"] == ["inbox", "email"] and got["defaults"] is False
    assert got["warnings"] and page.html.select_one("#email-warning"), "e-mail without an address: said on both"


def test_email_with_an_address_carries_no_warning(web, web_app):
    with web_app.engine.begin() as conn:
        conn.execute(text("UPDATE users SET email = 'ann@example.com' WHERE username = 'ann'"))
    sign_in(web, "ann")
    form = form_for(web.get("/account"), "/account/notifications")
    form["channel_email"] = True
    page = form.submit(status=303).follow()
    assert ticked(page)["channel_email"] and not page.html.select("#email-warning")


def test_nothing_ticked_means_hear_nothing(web, web_app):
    sign_in(web, "ann")
    form = form_for(web.get("/account"), "/account/notifications")
    for name in ticked(web.get("/account")):
        form[name] = False
    page = form.submit(status=303).follow()
    assert not any(ticked(page).values()) and "these are the defaults" not in page.text


def test_an_unknown_event_or_field_is_refused_with_the_services_message_and_nothing_saved(web, web_app):
    sign_in(web, "ann")
    token = csrf_of(web.get("/account"))
    answer = web.post("/account/notifications", {"csrf": token, "event_created": "1", "event_bogus": "1"}, status=422)
    assert "events: unknown: bogus; choose from created, assigned" in answer.html.select_one("#preferences-error").text
    assert ticked(answer)["event_created"], "what was ticked is kept"
    stranger = web.post("/account/notifications", {"csrf": token, "colour": "red"}, status=400)
    assert "colour: is not a field of this form" in stranger.text
    assert "CSRF" in web.post("/account/notifications", {"event_created": "1"}, status=403).text
    with web_app.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM notification_preferences")) == 0


def test_in_open_mode_anonymous_cannot_choose(open_web):
    page = open_web.get("/account")
    assert "hears about nothing" in page.text and not page.html.select("#notifications input[type=checkbox]")
    refused = open_web.post("/account/notifications", {"csrf": csrf_of(page), "event_created": "1"}, status=422)
    assert "anonymous" in refused.html.select_one("#preferences-error").text


@pytest.mark.parametrize("path", ["/inbox", "/account"])
def test_the_new_pages_carry_the_page_headers(web, path):
    sign_in(web, "ann")
    answer = web.get(path)
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert answer.headers["Cache-Control"] == "no-store" and "<script>" not in answer.text


def _token(app, username: str) -> str:
    return tokens.issue_token(uow(app, Actor(username, "agent")), username, "test", None).secret
