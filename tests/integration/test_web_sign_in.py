"""Signing in to the web page: passwords, sessions that end when they should, the failed-sign-in throttle."""

from datetime import timedelta

from sqlalchemy import text

from iris.services import passwords, users
from tests.integration.web_support import PASSWORD, csrf_of, sign_in, uow

WRONG = "the username or password is wrong"


def test_without_a_session_the_board_sends_you_to_sign_in_and_back(web):
    answer = web.get("/?assignee=me", status=303)
    assert answer.headers["Location"] == "/sign-in?next=%2F%3Fassignee%3Dme"
    signed = sign_in(web, "ann", next_="/%3Fassignee%3Dme")
    assert signed.headers["Location"] == "/?assignee=me"
    board = web.get("/?assignee=me")
    assert "Signed in as" in board.text and "ann" in board.text


def test_in_open_mode_the_board_shows_at_once(open_web):
    board = open_web.get("/")
    assert board.status_int == 200 and "Open mode" in board.text


def test_a_wrong_password_an_unknown_user_a_deactivated_one_and_one_without_a_password_all_read_the_same(web, web_app):
    users.create_user(uow(web_app), {"username": "nopass"})
    users.create_user(uow(web_app), {"username": "gone"})
    passwords.set_password(uow(web_app), "gone", PASSWORD)
    users.change_user(uow(web_app), "gone", {"active": False})
    answers = [
        sign_in(web, name, password, status=401)
        for name, password in (("ann", "not the password"), ("nobody", PASSWORD), ("gone", PASSWORD), ("nopass", ""))
    ]
    for answer in answers:
        assert WRONG in answer.text and "iris_session" not in answer.headers.get("Set-Cookie", "")
    assert sign_in(web, "anonymous", PASSWORD, status=401)


def test_the_session_cookie_is_httponly_samesite_lax_and_the_password_is_stored_only_as_argon2id(web, web_app):
    cookie = next(c for c in sign_in(web, "ann").headers.getall("Set-Cookie") if c.startswith("iris_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    with web_app.engine.connect() as conn:
        stored = conn.scalar(text("SELECT password_hash FROM users WHERE username = 'ann'"))
        sessions = conn.execute(text("SELECT secret_hash FROM web_sessions")).scalars().all()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    secret = cookie.split("=", 1)[1].split(".")[0]
    assert all(secret.encode() not in bytes(s) for s in sessions), "only the secret's hash is kept"


def test_next_never_leads_to_another_site(web):
    for target in ("//evil.example/", "/\\evil.example", "https://evil.example/"):
        assert sign_in(web, "ann", next_=target).headers["Location"] == "/"
        web.reset()


def test_signing_out_ends_the_session_for_good(web):
    sign_in(web, "ann")
    board = web.get("/")
    old = web.cookies["iris_session"]
    web.post("/sign-out", {"csrf": csrf_of(board)}, status=303)
    web.set_cookie("iris_session", old)  # a copy of the cookie, kept by whoever stole it
    assert web.get("/", status=303).headers["Location"].startswith("/sign-in")


def test_deactivating_a_user_ends_their_sessions_at_once(web, web_app):
    sign_in(web, "rep")
    web.get("/")
    users.change_user(uow(web_app), "rep", {"active": False})
    web.get("/", status=303)


def test_a_session_ends_when_idle_too_long_and_at_its_absolute_end(web, web_app):
    idle = web_app.settings.session_idle_minutes
    for column, shift in (("last_seen", timedelta(minutes=idle + 1)), ("expires", timedelta(hours=-1))):
        web.reset()
        sign_in(web, "ann")
        web.get("/")
        with web_app.engine.begin() as conn:
            if column == "last_seen":
                conn.execute(text("UPDATE web_sessions SET last_seen = now() - :shift"), {"shift": shift})
            else:
                conn.execute(text("UPDATE web_sessions SET expires = now() + :shift"), {"shift": shift})
        web.get("/", status=303)


def test_changing_a_password_signs_out_the_users_other_sessions_but_not_this_one(web, web_app):
    import webtest

    other = webtest.TestApp(web_app)
    sign_in(other, "ann")
    sign_in(web, "ann")
    account = web.get("/account")
    form = account.forms[1]
    form["current_password"], form["password"], form["password_again"] = (
        PASSWORD,
        "a new long password",
        "a new long password",
    )
    done = form.submit(status=303).follow()
    assert "Your password was changed" in done.text
    web.get("/")  # this session goes on
    other.get("/", status=303)  # the other one ended
    web.reset()
    sign_in(web, "ann", "a new long password")


def test_changing_your_password_needs_the_current_one(web):
    sign_in(web, "ann")
    form = web.get("/account").forms[1]
    form["current_password"], form["password"], form["password_again"] = (
        "wrong guess",
        "a new long password",
        "a new long password",
    )
    answer = form.submit(status=422)
    assert "is not your current password" in answer.text


def test_repeated_failures_refuse_the_account_even_with_the_right_password_without_saying_whether_it_exists(web):
    for name in ("ann", "nobody-at-all"):
        for _ in range(5):  # the web_app fixture's limit: 5 failures per account in 15 minutes
            sign_in(web, name, "guess", status=401)
        refused = sign_in(web, name, PASSWORD, status=429)
        assert "too many sign-in attempts" in refused.text and int(refused.headers["Retry-After"]) > 0
    sign_in(web, "rep")  # another account from the same address is not refused


def test_a_session_cookie_is_not_a_way_into_the_json_api(web):
    sign_in(web, "ann")
    web.get("/tickets", status=401)


def test_the_api_sets_passwords_as_the_rules_say(web, web_app, client):
    from iris.services import tokens

    secret = tokens.issue_token(uow(web_app), "rep", "t", None).secret
    as_rep = {"Authorization": f"Bearer {secret}"}
    changed = {"password": "rep's new password", "current_password": PASSWORD}
    client.put_json("/users/rep/password", {**changed, "current_password": "wrong"}, headers=as_rep, status=422)
    client.put_json("/users/rep/password", {"password": "short"}, headers=as_rep, status=422)
    client.put_json("/users/ann/password", {"password": "not yours to set"}, headers=as_rep, status=403)
    client.put_json("/users/rep/password", changed, headers=as_rep, status=204)
    sign_in(web, "rep", "rep's new password")


def test_iris_users_set_password_reads_it_from_stdin_and_never_echoes_it(web_app, clean_db):
    import subprocess
    import sys

    from tests.support import clean_env, url_string

    users.create_user(uow(web_app), {"username": "cli"})
    env = clean_env(DATABASE_URL=url_string(web_app.settings.database_url), IRIS_ENV="test")
    command = [sys.executable, "-m", "iris", "users", "set-password", "cli", "--stdin"]
    done = subprocess.run(command, input="from the shell 123\n", env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "from the shell" not in done.stdout + done.stderr
    with web_app.engine.connect() as conn:
        stored = conn.scalar(text("SELECT password_hash FROM users WHERE username = 'cli'"))
    assert passwords.matches(stored, "from the shell 123")


def test_attempts_sent_at_once_cannot_slip_past_the_count(web, web_app):
    import threading

    import webtest

    answers, start = [], threading.Barrier(12)

    def guess():
        client = webtest.TestApp(web_app)
        form = client.get("/sign-in").forms[0]
        form["username"], form["password"] = "ann", "a guess at it"
        start.wait()
        answers.append(form.submit(expect_errors=True).status_int)

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [401] * 5 + [429] * 7  # the web_app fixture's limit: 5 per account


def test_a_success_clears_the_accounts_count(web):
    for _ in range(4):
        sign_in(web, "ann", "a wrong one", status=401)
    sign_in(web, "ann")
    web.reset()
    for _ in range(5):
        sign_in(web, "ann", "a wrong one", status=401)  # five more: the four before were forgotten


def test_signing_in_again_ends_the_session_the_browser_had(web, web_app):
    import webtest

    sign_in(web, "ann")
    old = web.cookies["iris_session"]
    token = csrf_of(web.get("/"))
    web.post("/sign-in", {"csrf": token, "username": "rep", "password": PASSWORD}, status=303)
    assert "Signed in as" in web.get("/").text
    stolen = webtest.TestApp(web_app)
    stolen.set_cookie("iris_session", old)
    stolen.get("/", status=303)


def test_signing_out_of_a_session_that_already_ended_just_signs_out(web, web_app):
    sign_in(web, "ann")
    page = web.get("/")
    with web_app.engine.begin() as conn:
        conn.execute(text("DELETE FROM web_sessions"))
    answer = web.post("/sign-out", {"csrf": csrf_of(page)}, status=303)
    assert answer.headers["Location"] == "/sign-in"


def test_guessing_the_current_password_counts_as_sign_in_attempts(web, web_app):
    from iris.services import tokens

    sign_in(web, "ann")
    for expected in [422] * 5 + [429]:  # 5 per account; the sign-in's success cleared the count before
        form = web.get("/account").forms[1]
        form["current_password"], form["password"], form["password_again"] = "guess", "new password 1", "new password 1"
        form.submit(status=expected)
    secret = tokens.issue_token(uow(web_app), "ann", "t", None).secret
    api = {"Authorization": f"Bearer {secret}"}
    body = {"password": "new password 1", "current_password": PASSWORD}
    assert web.put_json("/users/ann/password", body, headers=api, status=429).headers["Retry-After"]


def test_iris_purge_keys_deletes_ended_sessions(web, web_app):
    import subprocess
    import sys

    from tests.support import clean_env, url_string

    sign_in(web, "ann")
    web.reset()
    sign_in(web, "rep")
    with web_app.engine.begin() as conn:
        conn.execute(text("UPDATE web_sessions SET expires = now() WHERE session_id = 1"))
    env = clean_env(DATABASE_URL=url_string(web_app.settings.database_url), IRIS_ENV="test")
    done = subprocess.run([sys.executable, "-m", "iris", "purge-keys"], env=env, capture_output=True, text=True)
    assert "and 1 ended web session(s)" in done.stderr, done.stderr
    web.get("/")  # rep's goes on
