"""Test databases: a real PostgreSQL, either TEST_DATABASE_URL's server or the embedded one.

Every database the suite uses is created here under a fresh name and dropped afterwards; the one
that TEST_DATABASE_URL names is only used to connect, never written to.
"""

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from iris import migrate
from iris.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def _admin_url() -> tuple[URL, object]:
    raw = os.environ.get("TEST_DATABASE_URL")
    if raw:
        url = make_url(raw)
        if url.drivername in ("postgres", "postgresql"):
            url = url.set(drivername="postgresql+psycopg2")
        return url, None
    from iris.embedded import server_url, start

    data_dir = Path(os.environ.get("IRIS_TEST_DATA_DIR", ROOT / ".iris" / "test"))
    server = start(data_dir)
    return server_url(server), server


@pytest.fixture(scope="session")
def admin_url():
    url, server = _admin_url()
    yield url  # `server` stays referenced until the session ends, so the embedded server keeps running
    del server


class Databases:
    """Creates throwaway databases on the test server and drops them all at the end."""

    def __init__(self, admin: URL):
        self.admin = admin
        self.engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create(self, prefix: str = "iris_test") -> URL:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.admin.set(database=name)

    def drop(self, url: URL) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        if url.database in self.created:
            self.created.remove(url.database)

    def drop_all(self) -> None:
        for name in list(self.created):
            with self.engine.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()
        self.engine.dispose()


@pytest.fixture(scope="session")
def databases(admin_url):
    dbs = Databases(admin_url)
    yield dbs
    dbs.drop_all()


@pytest.fixture
def empty_db(databases):
    """A brand-new empty database for one test."""
    url = databases.create("iris_scratch")
    yield url
    databases.drop(url)


@pytest.fixture(scope="session")
def migrated(databases):
    """The session's test database, built through the real migrations, and every row they put in (the
    default workflow, the built-in user), read before any test runs."""
    from sqlalchemy import select

    from iris.models import Base

    url = databases.create()
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [
            (table, rows)
            for table in Base.metadata.sorted_tables
            if (rows := conn.execute(select(table)).mappings().all())
        ]
    engine.dispose()
    return url, rows


@pytest.fixture(scope="session")
def db_url(migrated):
    return migrated[0]


@pytest.fixture(scope="session")
def migrated_rows(migrated):
    return migrated[1]


@pytest.fixture(scope="session")
def settings(db_url) -> Settings:
    # Most tests are about other rules than preconditions, so If-Match is honoured but not required
    # here; `strict_client` (and the ETag tests) run with the default, IRIS_REQUIRE_IF_MATCH=true.
    return Settings(env="test", database_url=db_url, require_if_match=False)


@pytest.fixture(scope="session")
def app(settings):
    from iris.api.app import create_app

    application = create_app(settings)
    yield application
    application.engine.dispose()


def migration_module(revision: str):
    """A revision file as a module, to reuse what it defines (e.g. the legacy `due` parser)."""
    import importlib.util

    path = next((ROOT / "migrations" / "versions").glob(f"{revision}_*.py"))
    spec = importlib.util.spec_from_file_location(f"migration_{revision}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


JOB_TABLES = ("procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs", "procrastinate_workers")


def reset_database(engine, migrated_rows) -> None:
    """Back to a freshly migrated database: empty tables, ids from 1, the migrations' own rows."""
    from iris.models import Base

    # procrastinate's jobs too: a job another test deferred must never reach this test's worker.
    tables = ", ".join([*(table.name for table in Base.metadata.sorted_tables), *JOB_TABLES])
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text("SET CONSTRAINTS ALL DEFERRED"))
        for table, rows in migrated_rows:
            conn.execute(table.insert(), [dict(row) for row in rows])
            for column in table.primary_key.columns:
                # The rows came back with their ids: a serial id's next value must come after them.
                sequence = f"pg_get_serial_sequence('{table.name}', '{column.name}')"
                if conn.scalar(text(f"SELECT {sequence}")) is not None:
                    conn.execute(text(f"SELECT setval({sequence}, (SELECT max({column.name}) FROM {table.name}))"))


@pytest.fixture
def clean_db(db_url, app, migrated_rows):
    """Each test starts as a freshly migrated database."""
    reset_database(app.engine, migrated_rows)
    yield


@pytest.fixture
def client(app, clean_db):
    import webtest

    return webtest.TestApp(app)


@pytest.fixture(scope="session")
def strict_app(db_url):
    from iris.api.app import create_app

    application = create_app(Settings(env="test", database_url=db_url))
    yield application
    application.engine.dispose()


@pytest.fixture
def strict_client(strict_app, clean_db):
    """A client of an app with the default settings: writes need If-Match."""
    import webtest

    return webtest.TestApp(strict_app)
