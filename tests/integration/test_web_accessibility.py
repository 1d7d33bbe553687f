"""The web page's accessibility, checked by axe-core (4.12, bundled in axe-playwright-python) in Debian's Chromium:
labelled fields, contrast, landmarks, titles, names of buttons and links; and that it can be used from the keyboard."""

import shutil
import subprocess
import sys

import pytest

from tests.support import clean_env, free_port, spawn_server, stop, url_string, wait_until_serving

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium")
PASSWORD = "an accessible pass phrase"
# WCAG 2.2 A and AA, and axe's best practices (landmarks, one main, headings in order).
RULES = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}
}


def iris(env, *args: str, stdin: str = "") -> None:
    done = subprocess.run([sys.executable, "-m", "iris", *args], input=stdin, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def server(databases):
    url, port = databases.create("iris_a11y"), free_port()
    env = clean_env(DATABASE_URL=url_string(url), IRIS_ENV="test", IRIS_AUTH="required", IRIS_PORT=str(port))
    proc = spawn_server([sys.executable, "-m", "iris", "serve", "--migrate", "--workers", "1"], env)
    try:
        wait_until_serving(port, proc)
        iris(env, "users", "create", "ada", "--role", "agent")
        iris(env, "users", "set-password", "ada", "--stdin", stdin=PASSWORD + "\n")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser.new_page(viewport={"width": 1280, "height": 900})
        browser.close()


def violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, options=RULES).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in found]


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (scripts/ensure-test-tools installs it)"
)
def test_every_page_passes_axe_and_can_be_used_from_the_keyboard(server, page):
    page.goto(server + "/")
    assert violations(page) == [], "the sign-in page"
    assert page.evaluate("document.activeElement.id") == "username", "the sign-in form has the focus at once"
    page.keyboard.type("ada")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(server + "/")
    page.goto(server + "/new")
    page.fill("#title", "")
    page.click("text=Create ticket")  # the browser's own check stops an empty title: leave it to the server
    page.fill("#title", "   ")
    page.click("text=Create ticket")
    assert violations(page) == [], "the new-ticket form with its errors"
    page.fill("#title", "An accessible ticket")
    page.fill("#due", "2020-01-02")
    page.click("text=Create ticket")
    page.wait_for_url("**/ticket/*")
    assert violations(page) == [], "the ticket page"
    for path in ("/", "/account"):
        page.goto(server + path)
        assert page.title(), path
        assert violations(page) == [], path
