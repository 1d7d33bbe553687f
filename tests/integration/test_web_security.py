"""The web page's defences: CSRF on every POST, the headers every page carries, user text escaped."""

import pytest
from sqlalchemy import text

from tests.integration.web_support import csrf_of, form_for, sign_in

XSS = "<img src=x onerror=alert(1)>"
POSTS = [
    "/new", "/ticket/1/comment", "/ticket/1/move", "/ticket/1/edit", "/ticket/1/watch", "/ticket/1/unwatch",
    "/account/password", "/account/notifications", "/inbox/read", "/inbox/1", "/sign-out",
]  # fmt: skip


def comments(app) -> list[str]:
    with app.engine.connect() as conn:
        return conn.execute(text("SELECT body FROM comments")).scalars().all()


@pytest.fixture
def signed_in(web, web_app):
    sign_in(web, "ann")
    page = web.get("/new")
    form = page.forms[1]
    form["title"] = "a ticket"
    form.submit(status=303)
    return web


@pytest.mark.parametrize("path", POSTS)
def test_a_post_without_the_csrf_token_changes_nothing(signed_in, web_app, path):
    fields = {"title": "forged", "body": "forged", "to": "Closed", "version": "1", "password": "forged-password"}
    answer = signed_in.post(path, {**fields, "up_to": "1", "read": "1", "event_created": "1"}, status=403)
    assert "CSRF" in answer.text
    ticket = signed_in.get("/ticket/1").text
    assert comments(web_app) == [] and "forged" not in ticket and "Stop watching" in ticket, "ann still watches"
    assert "these are the defaults" in signed_in.get("/account").text
    signed_in.get("/")  # still signed in: sign-out was refused too


def test_a_token_of_another_session_or_a_made_up_one_is_refused(signed_in, web_app):
    import webtest

    other = webtest.TestApp(web_app)
    sign_in(other, "rep")
    theirs = csrf_of(other.get("/"))
    for token in (theirs, "0" * 64, ""):
        signed_in.post("/ticket/1/comment", {"csrf": token, "body": "forged"}, status=403)
    assert comments(web_app) == []


def test_a_post_from_another_site_is_refused_even_with_the_right_token(signed_in, web_app):
    token = csrf_of(signed_in.get("/ticket/1"))
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
        signed_in.post("/ticket/1/comment", {"csrf": token, "body": "forged"}, headers=headers, status=403)
    assert comments(web_app) == []
    same = {"Origin": "http://localhost:80", "Sec-Fetch-Site": "same-origin"}
    signed_in.post("/ticket/1/comment", {"csrf": token, "body": "mine"}, headers=same, status=303)
    assert comments(web_app) == ["mine"]


def test_the_sign_in_form_needs_its_token_too(web):
    web.post("/sign-in", {"username": "ann", "password": "whatever-it-is"}, status=403)


@pytest.mark.parametrize("path", ["/", "/ticket/1", "/new", "/account", "/inbox", "/sign-in"])
def test_every_page_forbids_inline_script_other_origins_and_framing(signed_in, path):
    answer = signed_in.get(path, status="*")
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "same-origin"
    assert answer.headers["Cache-Control"] == "no-store"
    assert "<script>" not in answer.text, "no inline script: every script is a file under /static"


def test_user_text_is_escaped_on_the_board_and_the_ticket_page(signed_in):
    form = signed_in.get("/new").forms[1]
    form["title"], form["description"] = XSS, f"desc {XSS}"
    ticket = form.submit(status=303).follow()
    comment = form_for(ticket, ticket.request.path + "/comment")
    comment["body"] = f"comment {XSS}"
    page = comment.submit(status=303).follow()
    board = signed_in.get("/")
    for answer in (page, board):
        assert XSS not in answer.text and "&lt;img src=x onerror=alert(1)&gt;" in answer.text
        assert not answer.html.find("img"), "the title became an element"
