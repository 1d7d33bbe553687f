"""The web page's board, ticket page and forms: the API's services, rules and messages, shown to people."""

from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from iris.schemas import TicketCreate, parse
from iris.services import tickets
from iris.services.identity import Actor
from tests.integration.web_support import form_for, sign_in, uow

PARTIAL = {"X-Iris-Partial": "1"}


def open_ticket(app, title: str, by: str = "ann", **fields) -> int:
    data = parse(TicketCreate, {"title": title, **fields})
    return tickets.open_ticket(uow(app, Actor(by, "agent" if by == "ann" else "reporter")), data).item.ticket_id


def cards(page) -> list[str]:
    return [a.text for a in page.html.select("li.card a.title")]


def column_of(page, status: str):
    return next(s for s in page.html.select("section.column") if s.h2.span.text == status)


def test_the_board_shows_a_column_per_status_with_id_title_assignee_and_due_and_overdue_stands_out(web, web_app):
    late = open_ticket(web_app, "late one", assignee="ann", due="2020-01-01")
    open_ticket(web_app, "later one", due="2999-01-01")
    sign_in(web, "ann")
    board = web.get("/")
    statuses = [s.h2.span.text for s in board.html.select("section.column")]
    assert statuses[0] == "Open" and "Closed" in statuses
    overdue = board.html.select("li.card.overdue")
    assert [c.a.text for c in overdue] == [f"#{late} late one"]
    assert "ann" in overdue[0].text and "2020-01-01" in overdue[0].text
    assert board.html.title.text == "Board: default · iris"


def test_filters_mine_reporter_due_and_search_narrow_the_board(web, web_app):
    mine = open_ticket(web_app, "printer jammed again", assignee="ann", due="2020-01-01")
    theirs = open_ticket(web_app, "coffee machine broken", by="rep")
    sign_in(web, "ann")
    assert cards(web.get("/?assignee=me")) == [f"#{mine} printer jammed again"]
    assert cards(web.get("/?reporter=rep&assignee=&due=&q=&workflow=")) == [f"#{theirs} coffee machine broken"]
    assert cards(web.get("/?due=overdue")) == [f"#{mine} printer jammed again"]
    assert cards(web.get("/?q=coffee")) == [f"#{theirs} coffee machine broken"]
    refused = web.get("/?q=the", status=422)
    assert "no word to search for" in refused.text


def test_a_board_of_ten_thousand_tickets_shows_a_page_of_each_column_and_pages_on(web, web_app):
    with web_app.engine.begin() as conn:
        conn.execute(text("INSERT INTO tickets (title) SELECT 'bulk ' || n FROM generate_series(1, 10000) n"))
    sign_in(web, "ann")
    board = web.get("/")
    shown = cards(board)
    assert len(shown) == 25 and shown[0] == "#10000 bulk 10000"
    assert "10000" in column_of(board, "Open").h2.text, "the column says how many it holds"
    more = board.html.select_one("a.more")["href"]
    older = web.get(more)
    assert cards(older)[0] == "#9975 bulk 9975" and len(cards(older)) == 25
    part = web.get(more, headers=PARTIAL)
    assert "<html" not in part.text and len(cards(part)) == 25, "the script gets just the next cards"


def test_the_ticket_page_shows_fields_comments_history_and_only_the_moves_allowed(web, web_app):
    ticket = open_ticket(web_app, "broken", by="rep", description="it is broken")
    sign_in(web, "rep")
    page = web.get(f"/ticket/{ticket}")
    assert page.html.title.text == f"#{ticket} broken · iris"
    assert "it is broken" in page.text and "created the ticket" in page.text
    assert not page.html.select("form[action$=move]"), "a reporter who is not the assignee cannot move it"
    assert not page.html.select("#edit-assignee"), "nor assign it"
    web.reset()
    sign_in(web, "ann")
    page = web.get(f"/ticket/{ticket}")
    moves = [b["value"] for b in page.html.select("form[action$=move] button")]
    assert moves and "Open" not in moves
    move = form_for(page, f"/ticket/{ticket}/move")
    moved = move.submit("to", index=0, status=303).follow()
    assert moved.html.select_one("#status").text == moves[0]
    assert f"Open → {moves[0]}" in moved.text, "the history shows the move, old → new"


def test_create_shows_the_apis_messages_beside_the_fields(web, web_app, client):
    sign_in(web, "ann")
    form = web.get("/new").forms[1]
    form["title"], form["due"] = "   ", "next tuesday"
    answer = form.submit(status=422)
    api = client.post_json("/tickets", {"title": "   ", "due": "next tuesday"}, status=400).json["errors"]
    assert answer.html.select_one("#title-error").text == api["title"]
    assert answer.html.select_one("#due-error").text == api["due"]
    assert answer.html.select_one("#title")["aria-describedby"] == "title-error"
    assert answer.html.select_one("#due")["value"] == "next tuesday", "what was typed is kept"


def test_a_reporter_cannot_assign_from_the_page_any_more_than_through_the_api(web, web_app):
    ticket = open_ticket(web_app, "mine", by="rep")
    sign_in(web, "rep")
    page = web.get(f"/ticket/{ticket}")
    token = page.html.find("input", {"name": "csrf"})["value"]
    answer = web.post(f"/ticket/{ticket}/edit", {"csrf": token, "version": "1", "assignee": "ann"}, status=403)
    assert "needs the agent role" in answer.text


def test_an_edit_from_a_stale_page_is_refused_and_shows_the_ticket_as_it_is_now(web, web_app):
    ticket = open_ticket(web_app, "first title")
    sign_in(web, "ann")
    stale = web.get(f"/ticket/{ticket}")
    fresh = form_for(web.get(f"/ticket/{ticket}"), f"/ticket/{ticket}/edit")
    fresh["title"] = "changed elsewhere"
    fresh.submit(status=303)
    edit = form_for(stale, f"/ticket/{ticket}/edit")
    edit["title"] = "my late edit"
    answer = edit.submit(status=409)
    assert "Someone else changed this ticket" in answer.html.select_one("#conflict").text
    assert answer.html.select_one("h1").text == f"#{ticket} changed elsewhere"
    assert "my late edit" in answer.text, "what was sent is shown, not lost"
    assert "changed elsewhere" in web.get(f"/ticket/{ticket}").html.select_one("h1").text


def test_an_edit_that_leaves_the_due_day_alone_keeps_its_time_of_day(web, web_app):
    due = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)
    ticket = open_ticket(web_app, "timed", due=due.isoformat())
    sign_in(web, "ann")
    edit = form_for(web.get(f"/ticket/{ticket}"), f"/ticket/{ticket}/edit")
    edit["title"] = "timed, renamed"
    edit.submit(status=303)
    with web_app.engine.connect() as conn:
        assert conn.scalar(text("SELECT due FROM tickets WHERE ticket_id = :t"), {"t": ticket}) == due


def test_with_the_script_a_comment_answers_the_tickets_part_of_the_page(web, web_app):
    ticket = open_ticket(web_app, "chatty")
    sign_in(web, "ann")
    form = form_for(web.get(f"/ticket/{ticket}"), f"/ticket/{ticket}/comment")
    form["body"] = "first!"
    part = form.submit(headers=PARTIAL, status=200)
    assert part.text.lstrip().startswith('<div id="ticket"') and "first!" in part.text and "<html" not in part.text


def test_a_missing_ticket_is_a_404_page_and_a_bad_query_a_400(web):
    sign_in(web, "ann")
    assert "ticket 999 does not exist" in web.get("/ticket/999", status=404).text
    web.get("/ticket/1?comments_after=x", status=400)
    web.get("/?unknown=1", status=400)


def test_a_blank_title_in_the_edit_form_reads_as_the_api_says_and_keeps_what_was_typed(web, web_app, client):
    ticket = open_ticket(web_app, "named")
    sign_in(web, "ann")
    edit = form_for(web.get(f"/ticket/{ticket}"), f"/ticket/{ticket}/edit")
    edit["title"], edit["description"] = "   ", "typed, not lost"
    answer = edit.submit(status=422)
    api = client.patch_json(f"/tickets/{ticket}", {"title": "   "}, status=400).json["errors"]["title"]
    assert answer.html.select_one("#title-error").text == api
    # A browser drops a textarea's first newline (so a description's own leading newline survives).
    assert answer.html.select_one("#edit-description").text == "\ntyped, not lost"


def test_a_day_picked_on_the_page_is_due_by_its_end_so_today_is_not_overdue(web, web_app):
    today = datetime.now(timezone.utc).date().isoformat()
    sign_in(web, "ann")
    form = web.get("/new").forms[1]
    form["title"], form["due"] = "due today", today
    ticket = form.submit(status=303).follow()
    assert f"{today} 23:59 UTC" in ticket.text
    assert not web.get("/").html.select("li.card.overdue")


def test_a_refused_post_is_a_page_of_the_site_not_a_bare_error(web):
    sign_in(web, "ann")
    refused = web.post("/new", {"title": "no token"}, status=403)
    assert refused.html.title.text.startswith("Cannot show this") and "CSRF" in refused.text
    assert refused.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_the_ticket_page_reads_without_a_transaction_session_check_included(web, web_app):
    from sqlalchemy import event

    ticket = open_ticket(web_app, "read me")
    sign_in(web, "ann")
    web.get(f"/ticket/{ticket}")  # last_seen written now, not during the request below
    seen = []

    def autocommit(conn, cursor, statement, *args):
        seen.append((conn.connection.dbapi_connection.autocommit, statement.split()[0]))

    event.listen(web_app.engine, "before_cursor_execute", autocommit)
    try:
        web.get(f"/ticket/{ticket}")
    finally:
        event.remove(web_app.engine, "before_cursor_execute", autocommit)
    assert len(seen) == 4, seen  # the session, the ticket with its comments and watchers, the moves, the history
    assert all(flag for flag, _ in seen), "no BEGIN, so no ROLLBACK either"


def test_a_comment_or_ticket_form_sent_twice_makes_one(web, web_app):
    ticket = open_ticket(web_app, "once")
    sign_in(web, "ann")
    form = form_for(web.get(f"/ticket/{ticket}"), f"/ticket/{ticket}/comment")
    form["body"] = "only once"
    for _ in range(2):  # a double click without the script, or Reload after the POST
        form.submit(status=303)
    create = web.get("/new").forms[1]
    create["title"] = "a single ticket"
    assert create.submit(status=303).headers["Location"] == create.submit(status=303).headers["Location"]
    with web_app.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM comments WHERE body = 'only once'")) == 1
        assert conn.scalar(text("SELECT count(*) FROM tickets WHERE title = 'a single ticket'")) == 1
