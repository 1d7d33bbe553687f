"""A bench's life on a throwaway database: create it on BENCH_DATABASE_URL's server, run, then stop the servers,
drop the database and remove the files the run made, whatever happened (a failed run keeps its servers' logs)."""

import os
import shutil
import signal
import subprocess
import sys
import traceback
import uuid
from pathlib import Path
from typing import Callable

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url

from tests.support import stop

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
Run = Callable[[URL, list[str], list[subprocess.Popen]], str]


def main(label: str, run: Run) -> int:
    """`run(database_url, files, procs)` returns the report to print; it appends the servers it starts to `procs`
    and the files or directories it makes to `files`."""
    if shutil.which("wrk") is None:
        sys.exit(f"{label}: wrk not found (Debian: apt-get install wrk)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` cleans up on kill too
    admin = make_url(ADMIN_URL).set(drivername="postgresql+psycopg2")
    name = f"iris_bench_{label}_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    procs: list[subprocess.Popen] = []
    files: list[str] = []
    with admin_engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        print(run(admin.set(database=name), files, procs))
        return 0
    except BaseException as exc:
        traceback.print_exc()
        if isinstance(exc, subprocess.CalledProcessError):
            print(f"{' '.join(exc.cmd)}:\n{exc.stdout}{exc.stderr}", file=sys.stderr)
        for proc in procs:  # keep the server's log for a look at what went wrong
            files.remove(proc.log_path)
            print(f"the server's log: {proc.log_path}", file=sys.stderr)
        return 1
    finally:
        for proc in procs:
            stop(proc)
        with admin_engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin_engine.dispose()
        for path in files:
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else Path(path).unlink(missing_ok=True)
