"""Backups: the real `pg_dump -Fc` of a database in use, `pg_restore`d into a fresh database, keeps every row.

The commands are the ones docs/operations.md gives, with the server's own major version of the tools, and the
restore runs as a role that is no superuser but owns the new database, as iris's role does under docker-compose.
"""

import re
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest
import webtest
from sqlalchemy import create_engine, text

from iris import migrate
from iris.api.app import create_app
from iris.config import Settings
from tests.integration.identities import make_cast
from tests.integration.test_workflows import SIMPLE
from tests.support import libpq_url

# Every table that the population below must have filled, so that the comparison means something.
FILLED = {
    "alembic_version", "users", "api_tokens", "workflows", "workflow_statuses", "workflow_transitions",
    "tickets", "comments", "ticket_history", "ticket_counts", "idempotency_keys",
}  # fmt: skip
KEPT = "SELECT workflow, status, sum(tickets) FROM ticket_counts GROUP BY 1, 2 HAVING sum(tickets) <> 0 ORDER BY 1, 2"
ACTUAL = "SELECT workflow, status, count(*) FROM tickets GROUP BY 1, 2 ORDER BY 1, 2"


def pg_bin_dirs(major: int) -> list[Path]:
    """Where the PostgreSQL client programs of release `major` may be: Debian's packages, then pgserver's wheel."""
    dirs = [Path(f"/usr/lib/postgresql/{major}/bin")]
    try:
        from pgserver._commands import POSTGRES_BIN_PATH

        dirs.append(Path(POSTGRES_BIN_PATH))
    except ImportError:
        pass
    return dirs


def matching_tools(major: int) -> Optional[Path]:
    """The bin directory whose pg_dump and pg_restore are of the server's major release, or None."""
    for directory in pg_bin_dirs(major):
        if not ((directory / "pg_dump").is_file() and (directory / "pg_restore").is_file()):
            continue
        version = subprocess.run([directory / "pg_dump", "--version"], capture_output=True, text=True).stdout
        found = re.search(r"\(PostgreSQL\) (\d+)", version)
        if found and int(found.group(1)) == major:
            return directory
    return None


@pytest.fixture
def tools(databases) -> Path:
    with databases.engine.connect() as conn:
        major = int(conn.scalar(text("SHOW server_version_num"))) // 10000
    directory = matching_tools(major)
    if directory is None:
        pytest.skip(f"no pg_dump/pg_restore of PostgreSQL {major} in {', '.join(map(str, pg_bin_dirs(major)))}")
    return directory


@pytest.fixture
def owner_role(databases):
    """A login role that is no superuser, like iris's under docker-compose; dropped after the test's databases."""
    role = f"iris_restore_{uuid.uuid4().hex[:8]}"
    with databases.engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE')
    yield role
    with databases.engine.connect() as conn:
        for name in conn.scalars(
            text("SELECT datname FROM pg_database WHERE pg_get_userbyid(datdba) = :r"), {"r": role}
        ):
            databases.drop(databases.admin.set(database=name))
        conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')


@dataclass
class Story:
    ticket_ids: list[int]
    deleted_id: int
    agent: dict  # an agent's Authorization header


def populate(engine, client) -> Story:
    """Users and tokens, a second workflow, tickets moved and edited, comments added, edited and deleted, an
    idempotent create and a deleted ticket: every table has rows, and the journal and the totals have entries."""
    cast = make_cast(engine)  # users (one deactivated), tokens (expired, revoked), a ticket with a comment
    client.put_json("/workflows/simple", SIMPLE, status=201)
    ids = [cast.ticket_id]
    for n, fields in enumerate(
        [
            {"title": "Ünïcode ✓ and 'quotes'", "description": "line one\nline two", "due": "2026-12-01T09:30:00Z"},
            {"title": "assigned", "assignee": "asg", "description": "x" * 3000},
            {"title": "in the simple workflow", "workflow": "simple"},
            {"title": "to be deleted", "assignee": "someone-new"},
        ]
    ):
        ids.append(
            client.post_json("/tickets", fields, headers={"Idempotency-Key": f"backup-{n}"}, status=201).json[
                "ticket_id"
            ]
        )
    first, second, simple, doomed = ids[1:]
    client.patch_json(f"/tickets/{first}", {"title": "renamed", "assignee": "agent", "due": None})
    client.post_json(f"/tickets/{first}/transitions", {"to": "In Progress"})
    client.post_json(f"/tickets/{second}/transitions", {"to": "Resolved"})
    client.post_json(f"/tickets/{second}/transitions", {"to": "Closed"})
    client.post_json(f"/tickets/{simple}/transitions", {"to": "doing"})
    comments = [client.post_json(f"/tickets/{first}/comments", {"body": f"comment {i}"}).json for i in range(3)]
    client.patch_json(f"/comments/{comments[0]['comment_id']}", {"body": "edited"})
    client.delete(f"/comments/{comments[1]['comment_id']}")
    client.post_json(f"/tickets/{doomed}/comments", {"body": "gone with its ticket"})
    client.delete(f"/tickets/{doomed}")
    return Story([i for i in ids if i != doomed], doomed, cast.headers["agent"])


def snapshot(url) -> dict:
    """Every row of every table (in a stable order), and where each sequence stands."""
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).all()
        found = {
            table: sorted(map(tuple, conn.execute(text(f'SELECT * FROM "{table}"'))), key=repr) for table in tables
        }
        found["sequences"] = sorted(map(tuple, conn.execute(text("SELECT sequencename, last_value FROM pg_sequences"))))
        found["totals"] = [list(map(tuple, conn.execute(text(query)))) for query in (KEPT, ACTUAL)]
    engine.dispose()
    return found


def answers(client, story: Story) -> list:
    """What the API says about everything in the story: tickets, their histories and comments, the totals."""
    said = [client.get("/tickets?limit=500").headers["X-Total-Count"], client.get("/tickets?limit=500").json]
    for ticket_id in story.ticket_ids:
        said += [client.get(path).json for path in (f"/tickets/{ticket_id}", f"/tickets/{ticket_id}/history")]
        said.append(client.get(f"/tickets/{ticket_id}/comments").json)
    said.append(client.get(f"/history/{story.deleted_id}").json)
    said.append(client.get("/users?limit=100").json)
    return said


def dump_and_restore(tools: Path, source, target, dump: Path) -> None:
    """docs/operations.md's commands for a plain server: a custom-format dump, restored by the database's owner."""
    subprocess.run([tools / "pg_dump", "-Fc", "-f", dump, libpq_url(source)], check=True, timeout=120)
    restore = [tools / "pg_restore", "--no-owner", "--exit-on-error", "-d", libpq_url(target), dump]
    subprocess.run(restore, check=True, timeout=120)


def app_client(url, **settings):
    app = create_app(Settings(env="test", database_url=url, require_if_match=False, **settings))
    return app, webtest.TestApp(app)


def test_a_pg_dump_restored_into_a_fresh_database_has_every_row_and_serves(databases, tools, owner_role, tmp_path):
    source = databases.create("iris_backup_source")
    migrate.upgrade(source)
    app, client = app_client(source)
    story = populate(app.engine, client)
    before, said_before = snapshot(source), answers(client, story)
    app.engine.dispose()
    assert {table for table, rows in before.items() if rows} >= FILLED
    assert before["totals"][0] == before["totals"][1] != []

    target = databases.create("iris_backup_restored")
    with databases.engine.connect() as conn:
        conn.exec_driver_sql(f'ALTER DATABASE "{target.database}" OWNER TO "{owner_role}"')
    as_owner = target.set(username=owner_role)
    dump_and_restore(tools, source, as_owner, tmp_path / "iris.dump")

    after = snapshot(target)
    for table in before:
        assert after[table] == before[table], f"{table} differs after the restore"
    assert after.keys() == before.keys()
    assert after["alembic_version"] == [(migrate.revisions().head,)], "at Alembic head"
    migrate.require_current(as_owner)  # so this iris serves it as it is

    app, client = app_client(as_owner)
    try:
        assert client.get("/health").json == {"status": "ok", "database": "ok"}
        assert answers(client, story) == said_before
        created = client.post_json("/tickets", {"title": "after the restore"}, status=201).json
        assert created["ticket_id"] == max(story.ticket_ids + [story.deleted_id]) + 1, "sequences were restored"
        kept, actual = snapshot(target)["totals"]
        assert kept == actual, "the totals' triggers were restored too"
    finally:
        app.engine.dispose()
    strict, tokens_client = app_client(as_owner, auth="required")
    try:
        assert tokens_client.get("/user", headers=story.agent).json["username"] == "agent", "tokens survive"
    finally:
        strict.engine.dispose()
