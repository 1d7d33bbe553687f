"""`ticket_counts`: exact totals per (workflow, status), kept by triggers whoever writes."""

import threading
from dataclasses import replace

import pytest
import webtest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from iris.api.app import create_app
from iris.seed import seed
from iris.services import ticket_counts
from iris.services.unit_of_work import SqlAlchemyUnitOfWork
from tests.integration.test_cli import iris
from tests.integration.test_tickets_api import create
from tests.support import url_string

KEPT = "SELECT workflow, status, sum(tickets) FROM ticket_counts GROUP BY 1, 2 HAVING sum(tickets) <> 0 ORDER BY 1, 2"
ACTUAL = "SELECT workflow, status, count(*) FROM tickets GROUP BY 1, 2 ORDER BY 1, 2"


def kept_and_actual(engine):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(KEPT))], [tuple(r) for r in conn.execute(text(ACTUAL))]


def assert_counts_exact(engine):
    kept, actual = kept_and_actual(engine)
    assert kept == actual


@pytest.fixture
def capped(settings, clean_db):
    """The API with counting capped to nothing: only totals that need no counting are given."""
    app = create_app(replace(settings, count_max_estimate=0))
    yield webtest.TestApp(app)
    app.engine.dispose()


def test_counts_follow_api_writes_raw_sql_copy_and_truncate(client, app):
    made = [create(client, title=f"t{i}") for i in range(6)]
    assert_counts_exact(app.engine)
    assert kept_and_actual(app.engine)[0] == [("default", "Open", 6)]
    client.post_json(f"/tickets/{made[0]['ticket_id']}/transitions", {"to": "In Progress"})
    client.post_json(f"/tickets/{made[1]['ticket_id']}/transitions", {"to": "Closed"})
    client.patch_json(f"/tickets/{made[2]['ticket_id']}", {"assignee": "ann"})  # no status change
    client.delete(f"/tickets/{made[3]['ticket_id']}")
    client.post_json(f"/tickets/{made[4]['ticket_id']}/comments", {"body": "a comment rewrites the search column"})
    assert_counts_exact(app.engine)
    assert kept_and_actual(app.engine)[0] == [
        ("default", "Closed", 1),
        ("default", "In Progress", 1),
        ("default", "Open", 3),
    ]

    with app.engine.begin() as conn:
        conn.execute(text("INSERT INTO tickets (title) VALUES ('the tutorial way'), ('and again')"))
        conn.execute(text("UPDATE tickets SET status = 'Resolved' WHERE status = 'Open'"))  # many rows, one statement
        conn.execute(text("DELETE FROM tickets WHERE title = 'and again'"))
    assert_counts_exact(app.engine)

    seed(app.engine, 500, comments_per_ticket=1, seed_value=3)  # COPY, then one big UPDATE of the search column
    assert_counts_exact(app.engine)
    assert sum(n for *_, n in kept_and_actual(app.engine)[0]) == 506

    with app.engine.begin() as conn:
        conn.execute(text("TRUNCATE tickets CASCADE"))
    assert kept_and_actual(app.engine) == ([], [])


def test_a_rolled_back_write_leaves_the_counts_as_they_were(client, app):
    create(client)
    with app.engine.connect() as conn:
        conn.execute(text("INSERT INTO tickets (title) VALUES ('never committed')"))
        conn.execute(text("UPDATE tickets SET status = 'Closed'"))
        conn.rollback()
    assert kept_and_actual(app.engine)[0] == [("default", "Open", 1)]


def test_unfiltered_status_and_open_totals_are_given_even_when_counting_is_capped(capped, app):
    made = [create(capped, title=f"t{i}", assignee="ann" if i < 2 else None) for i in range(5)]
    capped.post_json(f"/tickets/{made[0]['ticket_id']}/transitions", {"to": "Closed"})
    capped.post_json(f"/tickets/{made[1]['ticket_id']}/transitions", {"to": "In Progress"})
    totals = {
        query: capped.get(f"/tickets{query}").headers.get("X-Total-Count")
        for query in (
            "",
            "?status=Open",
            "?status=Open&status=Closed",
            "?open=true",
            "?open=false",
            "?status=Closed&open=true",
        )
    }
    assert totals == {
        "": "5",
        "?status=Open": "3",
        "?status=Open&status=Closed": "4",
        "?open=true": "4",
        "?open=false": "1",
        "?status=Closed&open=true": "0",
    }
    other = capped.get("/tickets?assignee=ann")
    assert "X-Total-Count" not in other.headers and "X-Total-Count-Skipped" in other.headers, (
        "other filters still count the rows"
    )

    with app.engine.begin() as conn:  # closed-ness belongs to the workflow, read at query time
        conn.execute(text("UPDATE workflow_statuses SET is_closed = true WHERE name = 'In Progress'"))
    assert capped.get("/tickets?open=false").headers["X-Total-Count"] == "2"


def test_writers_do_not_wait_for_each_other(client, app):
    """A transaction that has counted a ticket and is still open blocks no other writer."""
    create(client)
    with app.engine.connect() as open_writer:
        open_writer.execute(text("INSERT INTO tickets (title) VALUES ('still open')"))
        open_writer.execute(text("UPDATE tickets SET status = 'Closed' WHERE title = 'still open'"))
        with app.engine.connect() as other:
            other.execute(text("SET lock_timeout = '500ms'"))
            other.execute(text("INSERT INTO tickets (title) VALUES ('not kept waiting')"))
            other.execute(text("UPDATE tickets SET status = 'Resolved' WHERE title = 'not kept waiting'"))
            other.commit()
        open_writer.commit()
    assert_counts_exact(app.engine)


def test_concurrent_writers_at_every_isolation_level_lose_no_count(client, db_url, app):
    create(client)
    errors = []

    def writer(isolation: str, n: int) -> None:
        engine = create_engine(db_url, isolation_level=isolation)
        try:
            for i in range(n):
                with engine.begin() as conn:
                    ticket_id = conn.execute(
                        text("INSERT INTO tickets (title) VALUES ('w') RETURNING ticket_id")
                    ).scalar()
                    conn.execute(
                        text("UPDATE tickets SET status = 'In Progress' WHERE ticket_id = :i"), {"i": ticket_id}
                    )
                    if i % 3 == 0:
                        conn.execute(text("DELETE FROM tickets WHERE ticket_id = :i"), {"i": ticket_id})
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            engine.dispose()

    threads = [
        threading.Thread(target=writer, args=(level, 40))
        for level in ("READ COMMITTED",) * 3 + ("REPEATABLE READ", "SERIALIZABLE")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert_counts_exact(app.engine)
    assert sum(n for *_, n in kept_and_actual(app.engine)[0]) == 1 + 5 * (40 - 14)
    create(client)  # the next read-committed write folds every committed row into one per status
    with app.engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM ticket_counts")).scalar()
    assert rows == 2, f"folded into one row each for Open and In Progress, not {rows}"
    assert_counts_exact(app.engine)


def load_without_triggers(engine, titles):
    """Much what `pg_restore --disable-triggers` does: rows the triggers never see."""
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE tickets DISABLE TRIGGER USER"))
        for title in titles:
            conn.execute(text("INSERT INTO tickets (title, status) VALUES (:t, 'Closed')"), {"t": title})
        conn.execute(text("ALTER TABLE tickets ENABLE TRIGGER USER"))


def test_db_recount_finds_and_rebuilds_totals_a_trigger_less_load_left_wrong(client, app, db_url):
    create(client)
    env = {"DATABASE_URL": url_string(db_url), "IRIS_ENV": "test"}
    right = iris("db", "recount", "--check", env_extra=env)
    assert right.returncode == 0 and "exact" in right.stderr

    load_without_triggers(app.engine, ["restored 1", "restored 2"])
    assert kept_and_actual(app.engine)[0] == [("default", "Open", 1)], "the load bypassed the triggers"
    checked = iris("db", "recount", "--check", env_extra=env)
    assert checked.returncode == 1
    assert "default / Closed: kept 0, actually 2" in checked.stderr
    assert kept_and_actual(app.engine)[0] == [("default", "Open", 1)], "--check changes nothing"
    assert client.get("/tickets").headers["X-Total-Count"] == "1", "what the wrong totals look like from outside"

    fixed = iris("db", "recount", env_extra=env)
    assert fixed.returncode == 0 and "wrong before: 1" in fixed.stderr
    assert_counts_exact(app.engine)
    assert client.get("/tickets").headers["X-Total-Count"] == "3"
    assert iris("db", "recount", "--check", env_extra=env).returncode == 0


def test_recount_waits_for_open_ticket_writers_but_no_longer_than_its_lock_timeout(client, app, db_url):
    create(client)
    load_without_triggers(app.engine, ["restored"])
    with app.engine.connect() as open_writer:
        # A title change leaves ticket_counts alone, so only the lock on tickets itself stands in the way.
        open_writer.execute(text("UPDATE tickets SET title = 'renamed, not yet committed' WHERE title = 'restored'"))
        with pytest.raises(OperationalError, match="lock timeout"):
            ticket_counts.recount(SqlAlchemyUnitOfWork(sessionmaker(app.engine)), "200ms")
        env = {"DATABASE_URL": url_string(db_url), "IRIS_ENV": "test", "IRIS_MIGRATION_LOCK_TIMEOUT": "300ms"}
        gave_up = iris("db", "recount", env_extra=env)
        assert gave_up.returncode == 1 and "gave up after waiting 300ms" in gave_up.stderr
        assert "Traceback" not in gave_up.stderr
        open_writer.commit()
    kept, actual = kept_and_actual(app.engine)
    assert kept != actual, "nothing was rebuilt"
    uow = SqlAlchemyUnitOfWork(sessionmaker(app.engine))
    assert [(d.status, d.kept, d.actual) for d in ticket_counts.recount(uow, "1s")] == [("Closed", 0, 1)]
    assert_counts_exact(app.engine)
