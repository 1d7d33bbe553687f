"""What a sign-in costs the other requests of its worker: /live's latency while clients sign in, on one gevent
worker, with Argon2 on gevent's thread pool (what iris does) and on the worker's own thread (IRIS_BENCH_INLINE=1
in the server's environment swaps it back, for this comparison only).

    make bench-signin-stall        # or: .venv/bin/python bench/signin_stall.py

Each round starts a fresh `iris serve --workers 1`, runs SIGNERS clients that sign in with a wrong password in
a loop (no throttle: the limits are raised), and times PROBES requests to /live, one every 50 ms.
"""

import os
import re
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support import clean_env, free_port, spawn_server, stop, url_string, wait_until_serving  # noqa: E402

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
SIGNERS, PROBES = int(os.environ.get("BENCH_SIGNERS", "4")), int(os.environ.get("BENCH_PROBES", "60"))
# Runs inside the server: moves Argon2 back onto the worker's own thread, as it was before.
INLINE = "import iris.services.passwords as p; p._beside_the_worker = lambda f, *a: f(*a)\n"


def signer(base: str, stop_at: threading.Event) -> None:
    client = requests.Session()
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get(base + "/sign-in").text).group(1)
    while not stop_at.is_set():
        client.post(base + "/sign-in", data={"csrf": csrf, "username": "ann", "password": "not-it-at-all"})


def probe(base: str) -> list[float]:
    timings = []
    for _ in range(PROBES):
        start = time.perf_counter()
        requests.get(base + "/live", timeout=30)
        timings.append((time.perf_counter() - start) * 1000)
        time.sleep(0.05)
    return sorted(timings)


def round_(url, inline: bool) -> str:
    port = free_port()
    env = clean_env(DATABASE_URL=url_string(url), IRIS_ENV="test", IRIS_PORT=str(port), IRIS_LOG_LEVEL="WARNING",
                    IRIS_SIGNIN_LIMIT_ACCOUNT="100000/minute", IRIS_SIGNIN_LIMIT_ADDRESS="100000/minute")  # fmt: skip
    command = [sys.executable, "-c", (INLINE if inline else "") + "from iris.cli import main; main()"]
    proc = spawn_server([*command, "serve", "--migrate", "--workers", "1"], env)
    stop_at = threading.Event()
    try:
        wait_until_serving(port, proc, seconds=60)
        base = f"http://127.0.0.1:{port}"
        threads = [threading.Thread(target=signer, args=(base, stop_at)) for _ in range(SIGNERS)]
        for thread in threads:
            thread.start()
        time.sleep(1)
        t = probe(base)
    finally:
        stop_at.set()
        stop(proc)
    where = "worker's own thread" if inline else "gevent's thread pool"
    return f"| {where} | {statistics.median(t):.0f} | {t[int(len(t) * 0.9)]:.0f} | {t[-1]:.0f} |"


def main() -> int:
    admin = make_url(ADMIN_URL).set(drivername="postgresql+psycopg2")
    name = f"iris_bench_signin_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        rows = [round_(admin.set(database=name), inline) for inline in (False, True, False, True)]
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()
    when = time.strftime("%Y-%m-%d")
    print(f"/live while {SIGNERS} clients sign in, one gevent worker ({when}, load {os.getloadavg()[0]:.1f})")
    print("\n| Argon2 runs on | p50 ms | p90 ms | max ms |\n|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
