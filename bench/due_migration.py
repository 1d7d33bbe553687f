"""Time migration 0005 (text `due` to timestamptz) over 100,000 tutorial-style rows.

Run by hand (`make bench-migration`); it prints a line to record in docs/migrations.md.
Uses the embedded PostgreSQL, or BENCH_DATABASE_URL's server, in a throwaway database.
"""

import os
import platform
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from iris import migrate  # noqa: E402
from tests.support import TUTORIAL_ROWS_SQL  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", "100000"))


def admin_url():
    raw = os.environ.get("BENCH_DATABASE_URL")
    if raw:
        return make_url(raw).set(drivername="postgresql+psycopg2"), None
    from iris.embedded import server_url, start

    server = start(ROOT / ".iris" / "bench")
    return server_url(server), server


def main() -> None:
    admin, _server = admin_url()
    name = f"iris_bench_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = admin.set(database=name)
    try:
        migrate.upgrade(url, "0004")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(TUTORIAL_ROWS_SQL), {"rows": ROWS})
        started = time.perf_counter()
        migrate.upgrade(url, "0005")
        elapsed = time.perf_counter() - started
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT count(*) FROM tickets")).scalar()
        engine.dispose()
        server = "embedded PostgreSQL 16" if _server else "BENCH_DATABASE_URL server"
        print(
            f"| {ROWS:,} rows | {kept:,} kept | {elapsed:.2f} s | {server} "
            f"| {platform.machine()}, {os.cpu_count()} cores |"
        )
    finally:
        with admin_engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin_engine.dispose()


if __name__ == "__main__":
    main()
