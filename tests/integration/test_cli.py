"""The `iris` command, run as a user would run it."""

import json
import subprocess
import sys

from sqlalchemy import create_engine, inspect, text

from tests.support import clean_env, free_port, url_string


def iris(*args, env_extra=None, check=False):
    env = clean_env(**(env_extra or {}))
    return subprocess.run(
        [sys.executable, "-m", "iris", *args], env=env, capture_output=True, text=True, timeout=120, check=check
    )


def test_help_describes_every_command():
    out = iris("--help").stdout
    for command in ("serve", "db"):
        assert command in out
    db_help = iris("db", "--help").stdout
    for action in ("upgrade", "downgrade", "current", "reset", "recount"):
        assert action in db_help
    tickets_help = iris("tickets", "--help").stdout
    for action in ("list", "get", "create", "update", "delete", "comment", "move"):
        assert f"    {action} " in tickets_help


def test_db_commands_migrate_a_database(empty_db):
    env = {"DATABASE_URL": url_string(empty_db), "IRIS_ENV": "test"}
    assert iris("db", "upgrade", env_extra=env).returncode == 0
    assert "(head)" in iris("db", "current", env_extra=env).stdout
    assert iris("db", "downgrade", "0003", env_extra=env).returncode == 0
    assert "0003" in iris("db", "current", env_extra=env).stdout
    assert iris("db", "downgrade", env_extra=env).returncode == 2  # a downgrade needs a target
    assert iris("db", "upgrade", env_extra=env).returncode == 0
    assert "(head)" in iris("db", "current", env_extra=env).stdout


def test_db_reset_needs_confirmation_then_drops_and_migrates(empty_db):
    env = {"DATABASE_URL": url_string(empty_db), "IRIS_ENV": "test"}
    iris("db", "upgrade", env_extra=env, check=True)
    engine = create_engine(empty_db)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO tickets (title) VALUES ('keep me?')"))
    refused = iris("db", "reset", env_extra=env)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tickets")).scalar() == 1
    assert iris("db", "reset", "--yes", env_extra=env).returncode == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tickets")).scalar() == 0
    assert "alembic_version" in inspect(engine).get_table_names()
    engine.dispose()


def test_prod_without_database_is_a_clear_startup_error():
    result = iris("serve", env_extra={"IRIS_ENV": "prod"})
    assert result.returncode == 2
    assert "no database configured" in result.stderr


def test_prod_with_placeholder_password_refuses_to_start_and_does_not_echo_it():
    result = iris("db", "upgrade", env_extra={"IRIS_ENV": "prod", "IRIS_USER": "iris", "IRIS_PASS": "changeme"})
    assert result.returncode == 2
    assert "placeholder" in result.stderr and "changeme" not in result.stderr


DATA_COMMANDS = [
    ("tickets", "get", "1"),
    ("tickets", "list"),
    ("tickets", "create", "--title", "lost?"),
    ("seed", "--tickets", "3"),
    ("purge-keys",),
    ("db", "recount"),
]


def test_commands_refuse_a_database_behind_the_migrations_and_say_how_to_catch_up(empty_db):
    """Not a traceback about a missing table (or, for `serve`, a 500 on every request) but what to run."""
    env = {"DATABASE_URL": url_string(empty_db), "IRIS_ENV": "test", "IRIS_PORT": str(free_port())}
    engine = create_engine(empty_db)
    for revision, state in [(None, "not migrated by iris yet"), ("0005", "at revision 0005")]:
        if revision:
            iris("db", "upgrade", revision, env_extra=env, check=True)
        for command in [*DATA_COMMANDS, ("serve",)]:
            result = iris(*command, env_extra=env)
            assert result.returncode == 1, (command, result.stderr)
            assert f"the database is {state}" in result.stderr and "run `iris db upgrade` first" in result.stderr, (
                command,
                result.stderr,
            )
            assert "Traceback" not in result.stderr, command
        assert "or serve with --migrate" in result.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tickets")).scalar() == 0, "nothing was written"
    engine.dispose()
    iris("db", "upgrade", env_extra=env, check=True)
    assert iris("tickets", "create", "--title", "now it works", env_extra=env).returncode == 0


def test_a_database_migrated_by_a_newer_iris_is_used_with_a_warning(db_url):
    env = {"DATABASE_URL": url_string(db_url), "IRIS_ENV": "test"}
    engine = create_engine(db_url)
    with engine.begin() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    try:
        result = iris("tickets", "list", "limit=1", env_extra=env)
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        engine.dispose()
    assert result.returncode == 0, result.stderr
    assert "revision 9999_from_the_future, which this iris does not have" in result.stderr


def test_an_unreachable_database_is_one_line_not_a_traceback():
    env = {"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/iris", "IRIS_ENV": "test"}
    for command in [*DATA_COMMANDS, ("db", "upgrade"), ("db", "current")]:
        result = iris(*command, env_extra=env)
        assert result.returncode == 1, (command, result.stderr)
        assert "iris: database error: connection to server at" in result.stderr and "Traceback" not in result.stderr, (
            command,
            result.stderr,
        )


def test_tickets_commands_give_the_same_results_and_errors_as_http(client, db_url):
    env = {"DATABASE_URL": url_string(db_url), "IRIS_ENV": "test"}
    created = iris("tickets", "create", "--title", "from the shell", "--assignee", "ann", env_extra=env)
    assert created.returncode == 0, created.stderr
    ticket = json.loads(created.stdout)
    assert ticket["workflow"] == {"name": "default", "status": "Open"}

    commented = iris("tickets", "comment", str(ticket["ticket_id"]), "looking into it", env_extra=env)
    assert json.loads(commented.stdout)["body"] == "looking into it"
    unguarded = iris("tickets", "move", str(ticket["ticket_id"]), "In Progress", env_extra=env)
    assert unguarded.returncode == 1 and unguarded.stderr.startswith("error 428:"), (
        "like HTTP, a move needs the version"
    )
    version = client.get(f"/tickets/{ticket['ticket_id']}").json["version"]
    moved = iris(
        "tickets",
        "move",
        str(ticket["ticket_id"]),
        "In Progress",
        "--comment",
        "started",
        "--version",
        str(version),
        env_extra=env,
    )
    assert json.loads(moved.stdout)["workflow"]["status"] == "In Progress"

    shown = json.loads(iris("tickets", "get", str(ticket["ticket_id"]), env_extra=env).stdout)
    assert shown == client.get(f"/tickets/{ticket['ticket_id']}").json
    assert shown["comment_count"] == 2

    refused = iris(
        "tickets", "move", str(ticket["ticket_id"]), "Closed", "--version", str(shown["version"]), env_extra=env
    )
    http = client.post_json(f"/tickets/{ticket['ticket_id']}/transitions", {"to": "Closed"}, status=422).json
    assert refused.returncode == 1 and refused.stderr.strip() == f"error 422: {json.dumps(http)}"

    missing = iris("tickets", "get", "999", env_extra=env)
    assert (
        missing.returncode == 1
        and missing.stderr.strip() == 'error 404: {"errors": {"ticket": "ticket 999 does not exist"}}'
    )
    blank = iris("tickets", "create", "--title", "  ", env_extra=env)
    assert blank.returncode == 1 and '"title": "must not be empty"' in blank.stderr


def test_seed_adds_searchable_tickets_and_comments_deterministically(empty_db):
    env = {"DATABASE_URL": url_string(empty_db), "IRIS_ENV": "test"}
    iris("db", "upgrade", env_extra=env, check=True)
    first = iris("seed", "--tickets", "300", "--comments-per-ticket", "2", "--seed", "9", env_extra=env)
    assert first.returncode == 0 and "added tickets 1 to 300" in first.stderr and "300/300" in first.stderr
    engine = create_engine(empty_db)
    snapshot = (
        "SELECT md5(string_agg(concat_ws('|', title, assignee, description, due, status), ',' ORDER BY ticket_id)) "
        "FROM tickets"
    )
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*), count(*) FILTER (WHERE search IS NULL) FROM tickets")).one() == (
            300,
            0,
        )
        differs = (
            "SELECT count(*) FROM tickets "
            "WHERE search IS DISTINCT FROM tickets_search_document(ticket_id, title, description)"
        )
        assert conn.execute(text(differs)).scalar() == 0, "seed writes the same search document as the triggers would"
        assert conn.execute(text("SELECT count(DISTINCT ticket_id) FROM comments")).scalar() > 200
        body, ticket_id = conn.execute(text("SELECT body, ticket_id FROM comments ORDER BY comment_id LIMIT 1")).one()
        word = max(body.rstrip(".").lower().split(), key=len)
        found = (
            conn.execute(
                text("SELECT ticket_id FROM tickets WHERE search @@ plainto_tsquery('english', :w)"), {"w": word}
            )
            .scalars()
            .all()
        )
        assert ticket_id in found, "comment text is searchable"
        before = conn.execute(text(snapshot)).scalar()
    assert iris("db", "reset", "--yes", env_extra=env).returncode == 0
    assert iris("seed", "--tickets", "300", "--comments-per-ticket", "2", "--seed", "9", env_extra=env).returncode == 0
    with engine.connect() as conn:
        assert conn.execute(text(snapshot)).scalar() == before, "the same seed gives the same tickets"
    assert iris("seed", "--tickets", "0", env_extra=env).returncode == 2
    with engine.connect() as conn:
        enabled = "SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%search_refresh' AND tgenabled = 'O'"
        assert conn.execute(text(enabled)).scalar() == 2, "the search triggers are back on after a seed"
    engine.dispose()


def test_seed_waits_for_open_writes_no_longer_than_the_lock_timeout(empty_db):
    env = {"DATABASE_URL": url_string(empty_db), "IRIS_ENV": "test", "IRIS_MIGRATION_LOCK_TIMEOUT": "300ms"}
    iris("db", "upgrade", env_extra=env, check=True)
    engine = create_engine(empty_db)
    with engine.connect() as open_writer:
        open_writer.execute(text("INSERT INTO tickets (title) VALUES ('not yet committed')"))
        gave_up = iris("seed", "--tickets", "10", env_extra=env)
        open_writer.commit()
    assert gave_up.returncode == 1 and "gave up after waiting 300ms" in gave_up.stderr
    assert "Traceback" not in gave_up.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tickets")).scalar() == 1, "nothing added"
    assert iris("seed", "--tickets", "10", env_extra=env).returncode == 0, "with the writer gone it goes ahead"
    engine.dispose()


def test_tickets_update_and_delete_give_the_same_results_and_errors_as_http(client, db_url):
    env = {"DATABASE_URL": url_string(db_url), "IRIS_ENV": "test"}
    ticket = client.post_json(
        "/tickets", {"title": "to change", "assignee": "ann", "description": "old", "due": "2026-12-01"}
    ).json
    tid = str(ticket["ticket_id"])

    unguarded = iris("tickets", "update", tid, "--assignee", "bob", env_extra=env)
    assert unguarded.returncode == 1 and unguarded.stderr.startswith("error 428:"), (
        "like HTTP, a change needs the version"
    )
    stale = iris("tickets", "update", tid, "--assignee", "bob", "--version", "7", env_extra=env)
    http_stale = client.patch_json(f"/tickets/{tid}", {"assignee": "bob", "version": 7}, status=412).json
    assert stale.returncode == 1 and stale.stderr.strip() == f"error 412: {json.dumps(http_stale)}"

    updated = iris(
        "tickets",
        "update",
        tid,
        "--title",
        "changed",
        "--due",
        "2027-01-02",
        "--clear",
        "assignee",
        "--clear",
        "description",
        "--version",
        "1",
        env_extra=env,
    )
    assert updated.returncode == 0, updated.stderr
    shown = json.loads(updated.stdout)
    assert shown == {
        k: v for k, v in client.get(f"/tickets/{tid}").json.items() if k not in ("comments", "comment_count")
    }
    assert (shown["title"], shown["assignee"], shown["description"], shown["due"], shown["version"]) == (
        "changed",
        None,
        None,
        "2027-01-02T00:00:00+00:00",
        2,
    )
    changed = [e["field"] for e in client.get(f"/tickets/{tid}/history").json if e["action"] == "changed"]
    assert sorted(changed) == ["assignee", "description", "due", "title"], "journaled as HTTP's PATCH is"

    blank = iris("tickets", "update", tid, "--title", " ", "--version", "2", env_extra=env)
    http_blank = client.patch_json(f"/tickets/{tid}", {"title": " ", "version": 2}, status=400).json
    assert blank.returncode == 1 and blank.stderr.strip() == f"error 400: {json.dumps(http_blank)}"
    both = iris("tickets", "update", tid, "--due", "2027-01-03", "--clear", "due", "--version", "2", env_extra=env)
    assert both.returncode == 1 and both.stderr.startswith("error 400:") and '"due"' in both.stderr
    assert client.get(f"/tickets/{tid}").json["version"] == 2, "a refused update changes nothing"

    assert iris("tickets", "delete", tid, env_extra=env).stderr.startswith("error 428:")
    assert iris("tickets", "delete", tid, "--version", "1", env_extra=env).stderr.startswith("error 412:")
    deleted = iris("tickets", "delete", tid, "--version", "2", env_extra=env)
    assert deleted.returncode == 0 and deleted.stdout == "" and f"ticket {tid} deleted" in deleted.stderr
    client.get(f"/tickets/{tid}", status=404)
    gone = iris("tickets", "delete", tid, "--version", "2", env_extra=env)
    assert (
        gone.returncode == 1
        and gone.stderr.strip() == f'error 404: {{"errors": {{"ticket": "ticket {tid} does not exist"}}}}'
    )


def test_tickets_list_answers_as_get_tickets_does_page_by_page(client, db_url):
    env = {"DATABASE_URL": url_string(db_url), "IRIS_ENV": "test"}
    for n in range(5):
        client.post_json("/tickets", {"title": f"deploy step {n}", "assignee": "ann" if n % 2 else "bob"})
    query = "assignee=ann&assignee=bob&sort=-ticket_id&limit=3"
    first = iris("tickets", "list", query, env_extra=env)
    assert first.returncode == 0, first.stderr
    http = client.get(f"/tickets?{query}")
    assert json.loads(first.stdout) == http.json and len(http.json) == 3
    assert "total: 5" in first.stderr
    following = first.stderr.split("next page: iris tickets list ")[1].strip().strip("'")
    second = iris("tickets", "list", following, env_extra=env)
    assert json.loads(second.stdout) == client.get(f"/tickets?{following}").json
    assert [t["ticket_id"] for t in json.loads(first.stdout) + json.loads(second.stdout)] == [5, 4, 3, 2, 1]
    assert "next page" not in second.stderr

    searched = iris("tickets", "list", "?q=deploy", env_extra=env)
    assert json.loads(searched.stdout) == client.get("/tickets?q=deploy").json

    for bad in ("bogus=1", "limit=501", "sort=colour"):
        refused = iris("tickets", "list", bad, env_extra=env)
        http_refused = client.get(f"/tickets?{bad}", status=400)
        assert refused.returncode == 1 and refused.stderr.strip() == f"error 400: {http_refused.text}"


def test_a_reader_that_stops_early_gets_no_traceback(client, db_url):
    """`iris tickets list | head`: when the reader goes away, iris stops quietly (exit 1)."""
    client.post_json("/tickets", {"title": "read by nobody"})
    env = clean_env(DATABASE_URL=url_string(db_url), IRIS_ENV="test")
    proc = subprocess.Popen(
        [sys.executable, "-m", "iris", "tickets", "list"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    proc.stdout.close()  # before iris writes a byte
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 1
    assert "Traceback" not in err and "BrokenPipe" not in err, err
