"""Instructions the Python side spends on one GET /tickets request, counted by valgrind's callgrind.

Wall-clock time on a shared 2-core VM swings by tens of percent between identical runs; an
instruction count is repeatable, so it shows what a change to the request path really saved (it
leaves out the database server's own work, which list_bench.py measures). Run by hand:

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/db .venv/bin/python bench/page_instructions.py [PATH ...]

against a database already migrated and seeded (`iris db upgrade`, `iris seed --tickets 10000 --seed 10000`).
Each path is requested in process (WebTest) after 3 warm-up requests, under callgrind, once with
none and once with `BENCH_PAGE_REQUESTS` (10) more; the difference divided by that is one request's cost.
"""

import os
import re
import subprocess
import sys

import webtest

REQUESTS = int(os.environ.get("BENCH_PAGE_REQUESTS", "10"))
PATHS = ["/tickets", "/tickets?limit=500", "/tickets?q=error+user+page"]


def serve(path: str, count: int) -> None:
    from iris.api.app import create_app
    from iris.config import load_settings

    client = webtest.TestApp(create_app(load_settings()))
    for _ in range(3 + count):
        client.get(path)


def instructions(path: str, count: int) -> int:
    run = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--serve",
            path,
            str(count),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(re.search(r"Collected : (\d+)", run.stderr).group(1))


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]))
        return
    if "DATABASE_URL" not in os.environ:
        sys.exit("set DATABASE_URL to a migrated, seeded database")
    for path in sys.argv[1:] or PATHS:
        per_request = (instructions(path, REQUESTS) - instructions(path, 0)) / REQUESTS
        print(f"{per_request / 1e6:8.1f} M instructions  {path}", flush=True)


if __name__ == "__main__":
    main()
