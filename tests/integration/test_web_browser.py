"""The web page for people, driven in a real headless Chromium (Playwright) against a real `iris serve`.

Everything goes through the browser as a person would use it: the sign-in form, the board's filters, the
ticket page's forms (sent in place by iris.js, or as full page posts without JavaScript). The database is
only read, to check that what a page claims (or does not claim) really happened.
"""

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from tests.integration.inbox_support import add_notification
from tests.support import clean_env, free_port, spawn_server, stop, url_string, wait_until_serving

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[test])")
expect, sync_playwright = playwright.expect, playwright.sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed (scripts/ensure-test-tools installs it as root)",
    ),
]

PASSWORD = "gentle-otter-42"  # every user's: the web page asks for at least 10 characters
USERS = {"ann": "agent", "bo": "agent", "kim": "agent", "rita": "reporter"}
VIEWPORT = {"width": 1280, "height": 900}
XSS = "<img src=x onerror=alert(1)>"


# --- a real server, and the browser ---------------------------------------------------------------------------


@dataclass
class Iris:
    base: str
    database: URL

    def comment_bodies(self, ticket_id: int) -> list[str]:
        """The ticket's comments as stored, whatever any page shows."""
        engine = create_engine(self.database)
        try:
            with engine.connect() as conn:
                sql = text("SELECT body FROM comments WHERE ticket_id = :id ORDER BY comment_id")
                return list(conn.scalars(sql, {"id": ticket_id}))
        finally:
            engine.dispose()


# `python -m iris users create NAME --role ROLE` and `python -m iris users set-password NAME --stdin` for every
# user, run by the CLI's own entry point in one process: each `python -m iris` takes seconds, mostly to start.
ADD_USERS = """
import json, sys
from iris.cli import main
for argv in json.loads(sys.argv[1]):
    if main(argv) != 0:
        sys.exit("iris " + " ".join(argv) + " failed")
"""


def add_users(env: dict) -> None:
    commands = [["users", "create", name, "--role", role] for name, role in USERS.items()]
    commands += [["users", "set-password", name, "--stdin"] for name in USERS]  # one stdin line each
    passwords = "".join(PASSWORD + "\n" for _ in USERS)
    done = subprocess.run(
        [sys.executable, "-c", ADD_USERS, json.dumps(commands)],
        env=env,
        input=passwords,
        text=True,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def iris(databases):
    """`iris serve` on a fresh database, with sign-in required and the users of USERS (password PASSWORD)."""
    database = databases.create("iris_web")
    port = free_port()
    env = clean_env(
        DATABASE_URL=url_string(database),
        IRIS_ENV="test",
        IRIS_AUTH="required",
        IRIS_HOST="127.0.0.1",
        IRIS_PORT=str(port),
    )
    proc = spawn_server([sys.executable, "-m", "iris", "serve", "--migrate", "--workers", "2"], env)
    try:
        wait_until_serving(port, proc)
        add_users(env)
        yield Iris(f"http://127.0.0.1:{port}", database)
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, iris):
    ctx = browser.new_context(base_url=iris.base, viewport=VIEWPORT)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


# --- what a person does ---------------------------------------------------------------------------------------


def sign_in(page, username: str = "ann", password: str = PASSWORD) -> None:
    page.goto("/sign-in")
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("header")).to_contain_text(f"Signed in as {username}")


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))


def create_ticket(page, title: str, *, due: date | None = None, assignee: str | None = None, description="") -> int:
    page.goto("/new")
    page.fill("#title", title)
    if description:
        page.fill("#description", description)
    if due is not None:
        page.fill("#due", due.isoformat())
    if assignee is not None:
        page.fill("#assignee", assignee)
    page.get_by_role("button", name="Create ticket").click()
    page.wait_for_url(re.compile(r"/ticket/\d+$"))
    ticket_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("h1")).to_have_text(f"#{ticket_id} {title}")
    return ticket_id


def move_button(page, status: str):
    return page.locator("form.moves button", has_text=re.compile(rf"→ {re.escape(status)}$"))


def move(page, status: str) -> None:
    move_button(page, status).click()
    expect(page.locator("#status")).to_have_text(status)


def comment(page, body: str) -> None:
    page.fill("#body", body)
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator("ol.comments .body").last).to_have_text(body)


def card(scope, ticket_id: int):
    """The board's card of the ticket, within `scope` (a page, or a column)."""
    page = getattr(scope, "page", scope)
    return scope.locator("li.card", has=page.locator(f'a.title[href="/ticket/{ticket_id}"]'))


def column(page, status: str):
    heading = page.locator("h2 > span:first-child", has_text=re.compile(f"^{re.escape(status)}$"))
    return page.locator("section.column", has=heading)


def days_ago(n: int) -> date:
    return date.today() - timedelta(days=n)


# --- the tests ------------------------------------------------------------------------------------------------


def test_a_person_signs_in_files_a_ticket_works_it_to_closed_finds_it_and_signs_out(iris, context, page):
    # Sign-in is required: the board sends a stranger to the sign-in page, which comes back to it.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2F$"))

    page.fill("#username", "ann")
    page.fill("#password", "not-the-password")
    with page.expect_response(lambda r: r.request.method == "POST") as refused:
        page.get_by_role("button", name="Sign in", exact=True).click()
    assert refused.value.status == 401
    expect(page.locator("#sign-in-error")).to_have_text("the username or password is wrong")
    expect(page.locator("#username")).to_have_value("ann")

    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(iris.base + "/")
    expect(page.locator("header")).to_contain_text("Signed in as ann")
    [session] = [c for c in context.cookies() if c["name"] == "iris_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"

    # A blank title is refused beside the field; the rest of what was typed is kept.
    page.goto("/new")
    page.fill("#title", "   ")
    page.fill("#description", "The side gate of the quokka enclosure sticks when it rains.")
    with page.expect_response(lambda r: r.request.method == "POST") as refused:
        page.get_by_role("button", name="Create ticket").click()
    assert refused.value.status == 422
    expect(page.locator("#title-error")).to_have_text("must not be empty")
    expect(page.locator("#title")).to_have_attribute("aria-describedby", "title-error")
    expect(page.locator("#description")).to_have_value("The side gate of the quokka enclosure sticks when it rains.")

    title = "Quokka enclosure gate sticks"
    page.fill("#title", title)
    page.fill("#due", days_ago(3).isoformat())
    page.get_by_role("button", name="Create ticket").click()
    page.wait_for_url(re.compile(r"/ticket/\d+$"))
    ticket_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("h1")).to_have_text(f"#{ticket_id} {title}")
    expect(page.locator("#status")).to_have_text("Open")

    # On the board: in the Open column, marked overdue.
    page.goto("/")
    filed = card(column(page, "Open"), ticket_id)
    expect(filed.locator("a.title")).to_have_text(f"#{ticket_id} {title}")
    expect(filed).to_have_class(re.compile(r"\boverdue\b"))
    expect(filed).to_contain_text("overdue")

    # Comment and move in place: the page is never loaded again, so the marker set on it survives.
    filed.locator("a.title").click()
    page.wait_for_url(f"**/ticket/{ticket_id}")
    page.evaluate("window.__stay = 1")
    loads = []
    page.on("load", lambda _: loads.append(page.url))

    comment(page, "Oiled the hinge; it still sticks when wet.")
    expect(page.locator("#comments-heading")).to_have_text("Comments (1)")
    for status in ("In Progress", "Resolved", "Closed"):
        move(page, status)
    expect(page.locator("ol.timeline")).to_contain_text("moved it: Resolved → Closed")
    expect(page.locator("ol.timeline")).to_contain_text("commented")
    assert page.evaluate("window.__stay") == 1, "a form reloaded the page instead of updating it in place"
    assert loads == []
    assert iris.comment_bodies(ticket_id) == ["Oiled the hinge; it still sticks when wet."]

    # Only the ticket's own statuses remain as moves: Closed can only be reopened.
    expect(page.locator("form.moves button")).to_have_text(["reopen → Open"])

    # The search box finds exactly that ticket, now in Closed and no longer overdue (it is closed).
    page.goto("/")
    page.fill("#q", "quokka")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"[?&]q=quokka\b"))
    expect(page.locator("li.card")).to_have_count(1)
    found = card(column(page, "Closed"), ticket_id)
    expect(found.locator("a.title")).to_have_text(f"#{ticket_id} {title}")
    expect(found).not_to_have_class(re.compile(r"\boverdue\b"))

    # Signing out ends the session on the server: the old cookie no longer opens the board.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    assert not [c for c in context.cookies() if c["name"] == "iris_session" and c["value"]]
    context.add_cookies([session])
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2F$"))
    expect(page.locator("header")).not_to_contain_text("Signed in as")


def test_a_change_from_a_stale_tab_is_refused_and_shows_the_ticket_as_it_now_is(iris, context, page):
    sign_in(page)
    ticket_id = create_ticket(page, "Water bowls need a refill schedule")
    first, second = page, context.new_page()
    second.goto(f"/ticket/{ticket_id}")

    first.fill("#edit-title", "Water bowls: refill every morning")
    first.get_by_role("button", name="Save").click()
    expect(first.locator("h1")).to_have_text(f"#{ticket_id} Water bowls: refill every morning")

    # The second tab still shows version 1 and offers to start work on it.
    expect(second.locator("h1")).to_have_text(f"#{ticket_id} Water bowls need a refill schedule")
    with second.expect_response(lambda r: r.request.method == "POST") as refused:
        move_button(second, "In Progress").click()
    assert refused.value.status == 409
    expect(second.locator("#conflict")).to_have_text(re.compile(r"^Someone else changed this ticket"))
    expect(second.locator("h1")).to_have_text(f"#{ticket_id} Water bowls: refill every morning")
    expect(second.locator("#status")).to_have_text("Open")
    expect(second.locator("#edit-title")).to_have_value("Water bowls: refill every morning")

    # The other way round: the second tab (now up to date) moves the ticket, then the first tab's edit is stale.
    move(second, "In Progress")
    first.fill("#edit-description", "Written in the first tab, after the ticket moved on.")
    with first.expect_response(lambda r: r.request.method == "POST") as refused:
        first.get_by_role("button", name="Save").click()
    assert refused.value.status == 409
    expect(first.locator("#conflict")).to_have_text(re.compile(r"^Someone else changed this ticket"))
    expect(first.locator("#status")).to_have_text("In Progress")
    expect(first.locator("details")).to_contain_text("Written in the first tab")  # what was sent, not saved

    for tab in (first, second):
        tab.reload()
        expect(tab.locator("h1")).to_have_text(f"#{ticket_id} Water bowls: refill every morning")
        expect(tab.locator("#status")).to_have_text("In Progress")
        expect(tab.locator(".description")).to_have_count(0)
        expect(tab.locator("#conflict")).to_have_count(0)
    history = second.locator("ol.timeline li")
    expect(history).to_have_count(3)  # created, the title's change, the one move
    expect(history.nth(2)).to_contain_text("moved it: Open → In Progress")


@contextlib.contextmanager
def attacker_site(directory: Path):
    """Another site's pages, served over HTTP from `directory` on another port of this machine."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def forged_form(action: str, csrf: str | None = None, hide_origin: bool = False) -> str:
    """A page that posts a comment to iris as soon as it is opened."""
    token = f'<input type="hidden" name="csrf" value="{csrf}">' if csrf is not None else ""
    # With no referrer at all, the browser sends `Origin: null` instead of the page's origin.
    policy = '<meta name="referrer" content="no-referrer">' if hide_origin else ""
    return (
        f"<!DOCTYPE html>{policy}<title>Win a prize</title>"
        f'<form id="f" method="post" action="{action}">{token}<input name="body" value="forged"></form>'
        "<script>document.getElementById('f').submit()</script>"
    )


def test_a_form_posted_from_another_site_changes_nothing(iris, browser, context, page, tmp_path):
    sign_in(page)
    ticket_id = create_ticket(page, "Feed delivery on Tuesdays")
    action = f"{iris.base}/ticket/{ticket_id}/comment"
    # Another user's real token: valid for her session, worthless for ann's.
    rita = browser.new_context(base_url=iris.base)
    sign_in(rita.new_page(), "rita")
    rita_token = rita.pages[0].locator('header input[name="csrf"]').input_value()
    rita.close()
    attacks = {
        "plain": forged_form(action),
        "guessed": forged_form(action, csrf="0" * 64),
        "borrowed": forged_form(action, csrf=rita_token),
        "hidden-origin": forged_form(action, hide_origin=True),
    }
    for name, html in attacks.items():
        (tmp_path / f"{name}.html").write_text(html)

    def visit(url: str):
        with page.expect_response(lambda r: r.url == action) as answer:
            page.goto(url)  # the page posts its form as soon as it is open
        page.wait_for_url(lambda now: now.startswith(iris.base))
        page.wait_for_load_state()
        return answer.value

    with attacker_site(tmp_path) as port:
        for name in attacks:
            # 127.0.0.1 on another port: the same site, another origin. The SameSite=Lax session cookie comes
            # along, and the Origin header gives the post away.
            answer = visit(f"http://127.0.0.1:{port}/{name}.html")
            assert answer.status == 403, f"{name}, same site: {answer.status}"
            expect(page.locator("body")).to_contain_text("another site")
            # localhost: another site altogether. The cookie stays home, so the post is a stranger's.
            answer = visit(f"http://localhost:{port}/{name}.html")
            assert answer.status == 303, f"{name}, cross site: {answer.status}"
            assert answer.headers["location"].startswith("/sign-in"), f"{name}, cross site"

    # Behind those, the form's token: a post with ann's cookies that even claims to come from iris itself is
    # refused without the token of ann's own session, and the very same post with it does count.
    page.goto(f"{iris.base}/ticket/{ticket_id}")
    own_token = page.locator("#ticket input[name=csrf]").first.input_value()
    same_origin = {"Origin": iris.base, "Sec-Fetch-Site": "same-origin"}
    for csrf in (None, "0" * 64, rita_token):
        form = {"body": "forged"} | ({"csrf": csrf} if csrf else {})
        answer = context.request.post(action, form=form, headers=same_origin, max_redirects=0)
        assert answer.status == 403, f"csrf={csrf!r}: {answer.status}"
        assert "CSRF" in answer.text()
    form = {"body": "genuine", "csrf": own_token}
    answer = context.request.post(action, form=form, headers=same_origin, max_redirects=0)
    assert answer.status == 303

    page.reload()
    expect(page.locator("ol.comments .body")).to_have_text(["genuine"])
    assert iris.comment_bodies(ticket_id) == ["genuine"]


def test_markup_in_a_title_or_comment_is_shown_as_text_and_never_run(iris, page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page)
    ticket_id = create_ticket(page, XSS)  # checks the h1's text is the title, literally
    expect(page).to_have_title(re.compile(re.escape(f"#{ticket_id} {XSS}")))
    expect(page.locator("#edit-title")).to_have_value(XSS)
    remark = "<script>alert(2)</script><b>bold?</b>"
    comment(page, remark)  # sent by iris.js and swapped in: checks the comment's text, literally

    page.reload()  # and the same when the whole page is rendered by the server
    expect(page.locator("h1")).to_have_text(f"#{ticket_id} {XSS}")
    expect(page.locator("ol.comments .body")).to_have_text([remark])
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("#ticket script, #ticket b").count() == 0

    page.goto("/")
    expect(card(page, ticket_id).locator("a.title")).to_have_text(f"#{ticket_id} {XSS}")
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("img").count() == 0
    assert dialogs == []


def test_without_javascript_every_form_still_works_by_full_page_posts(iris, browser):
    context = browser.new_context(base_url=iris.base, viewport=VIEWPORT, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page)
        ticket_id = create_ticket(page, "Night lights in the nocturnal house flicker")

        def post_and_follow(click) -> None:
            """The click posts the form; the answer is a 303 back to the ticket, which the browser loads."""
            with page.expect_navigation() as landed:
                click()
            assert landed.value.url == f"{iris.base}/ticket/{ticket_id}"
            assert landed.value.status == 200
            posted = landed.value.request.redirected_from
            assert posted is not None and posted.method == "POST"
            assert posted.response().status == 303

        page.fill("#body", "The dimmer on the east wall is the culprit.")
        post_and_follow(page.get_by_role("button", name="Comment", exact=True).click)
        expect(page.locator("ol.comments .body")).to_have_text(["The dimmer on the east wall is the culprit."])

        post_and_follow(move_button(page, "In Progress").click)
        expect(page.locator("#status")).to_have_text("In Progress")
        post_and_follow(move_button(page, "Resolved").click)
        expect(page.locator("#status")).to_have_text("Resolved")

        page.fill("#edit-assignee", "bo")
        post_and_follow(page.get_by_role("button", name="Save").click)
        expect(page.locator("#assignee-value")).to_have_text("bo")
        assert iris.comment_bodies(ticket_id) == ["The dimmer on the east wall is the culprit."]
    finally:
        context.close()


def test_screenshots_of_a_busy_board_and_a_ticket_page(iris, context, page, tmp_path):
    # Only this test signs in as kim: the board of what kim reported shows none of the other tests' tickets.
    sign_in(page, "kim")
    tickets = {
        "Gift shop card reader declines contactless": ("Open", date.today() + timedelta(days=5), None),
        "Penguin pool filter makes a grinding noise": ("Open", days_ago(2), "bo"),
        "Update the feeding chart for the otters": ("Open", None, None),
        "Replace the broken bench by the lemur island": ("In Progress", days_ago(6), "ann"),
        "Train new volunteers on the ticket board": ("In Progress", date.today() + timedelta(days=3), "kim"),
        "Reptile house thermostat reads 3 degrees low": ("Resolved", days_ago(1), "ann"),
        "Map signs still show the old aviary": ("Closed", days_ago(20), "bo"),
    }
    for title, (status, due, assignee) in tickets.items():
        create_ticket(page, title, due=due, assignee=assignee)
        if status in ("In Progress", "Resolved"):
            move(page, "In Progress")
        if status in ("Resolved", "Closed"):
            move(page, status)

    shown = create_ticket(
        page,
        "Giraffe feeder platform wobbles",
        due=days_ago(1),
        description="The upper platform moves a few centimetres when more than two keepers stand on it.",
    )
    comment(page, "Checked the bolts on the north leg: two were loose, tightened them.")
    move(page, "In Progress")
    page.fill("#edit-assignee", "bo")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#assignee-value")).to_have_text("bo")
    sign_out(page)
    sign_in(page, "bo")
    page.goto(f"/ticket/{shown}")
    comment(page, "Still moves a little. Ordering a cross brace; should arrive Thursday.")

    page.goto("/?reporter=kim")
    expect(page.locator("li.card")).to_have_count(8)
    expect(page.locator("li.card.overdue")).to_have_count(3)  # not the Resolved or Closed ones: they are done
    expect(column(page, "In Progress").locator("li.card")).to_have_count(3)
    board = tmp_path / "board.png"
    page.screenshot(path=board, full_page=True)

    page.goto(f"/ticket/{shown}")
    expect(page.locator("ol.comments .body")).to_have_count(2)
    expect(page.locator("ol.timeline li")).to_have_count(5)
    ticket = tmp_path / "ticket.png"
    page.screenshot(path=ticket, full_page=True)

    for shot in (board, ticket):
        assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000
    if os.environ.get("IRIS_UPDATE_SCREENSHOTS"):
        target = ROOT / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(board, target / "board.png")
        shutil.copy(ticket, target / "ticket.png")


# --- accessibility ----------------------------------------------------------------------------------------------

# axe-core 4.12 (bundled in axe-playwright-python): WCAG 2.2 A and AA, and axe's best practices (landmarks, one
# main, headings in order). It finds unlabelled fields, low contrast, missing titles and names of buttons and links.
AXE_RULES = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}
}


def violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, options=AXE_RULES).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in found]


def test_every_page_passes_axe_and_signing_in_works_from_the_keyboard(iris, page):
    page.goto("/")
    assert violations(page) == [], "the sign-in page"
    assert page.evaluate("document.activeElement.id") == "username", "the sign-in form has the focus at once"
    page.keyboard.type("ann")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("header")).to_contain_text("Signed in as ann")
    page.goto("/new")
    page.fill("#title", "   ")
    page.get_by_role("button", name="Create ticket").click()
    expect(page.locator("#title-error")).to_have_text("must not be empty")
    assert violations(page) == [], "the new-ticket form with its errors"
    page.fill("#title", "An accessible ticket")
    page.get_by_role("button", name="Create ticket").click()
    page.wait_for_url("**/ticket/*")
    assert violations(page) == [], "the ticket page"
    page.get_by_role("button", name="Stop watching").click()  # the reporter watches it; in place, by the script
    expect(page.get_by_role("button", name="Watch", exact=True)).to_be_visible()
    page.get_by_role("button", name="Watch", exact=True).click()
    expect(page.get_by_role("button", name="Stop watching")).to_be_visible()
    add_notifications(iris, "ann", int(page.url.rsplit("/", 1)[1]))
    for path in ("/", "/account", "/inbox"):
        page.goto(path)
        assert violations(page) == [], path
    expect(page.locator("#inbox-link")).to_have_text("Inbox (1 unread)")


def add_notifications(iris: Iris, username: str, ticket_id: int) -> None:
    """An unread and a read notification, as the worker writes them (it does not run here)."""
    engine = create_engine(iris.database)
    try:
        add_notification(engine, username, ticket_id, actor="bo", title=XSS)
        add_notification(engine, username, ticket_id, read=True, actor="bo", event="moved")
    finally:
        engine.dispose()
