"""How long `/health` and `GET /tickets/1` take while many connections are held open, per gunicorn worker class.

Run by hand: `make bench-slow-clients` (about a minute). For each worker class (sync, gthread with 8
threads, gevent: iris's default) it starts one `iris serve` with 2 workers on a throwaway database on
the system PostgreSQL (BENCH_DATABASE_URL), opens HELD connections to 127.0.0.1 (half stop inside the
request line, half inside a body they announced), then times PROBES requests of each kind, each with a
5 s client timeout. It prints a markdown table for docs/reliability.md and stops everything it started.
"""

import os
import socket
import statistics
import sys
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import clean_env, free_port, spawn_server, stop, url_string, wait_until_serving  # noqa: E402

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
HELD = int(os.environ.get("BENCH_HELD", "200"))
PROBES = 5
CLASSES = [
    ("sync", "--worker-class sync"),
    ("gthread, 8 threads", "--worker-class gthread --threads 8"),
    ("gevent", ""),
]


def hold(port: int, n: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if n % 2:
        sock.sendall(b"GET /tickets/1 HT")
    else:
        sock.sendall(
            b"PUT /tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"
        )
    return sock


def probe(url: str) -> float:
    """Seconds to an answer, or inf when none came within 5 s."""
    started = time.monotonic()
    try:
        requests.get(url, timeout=5)
    except requests.RequestException:
        return float("inf")
    return time.monotonic() - started


def measure(database: str, gunicorn_args: str) -> dict[str, list[float]]:
    port = free_port()
    env = clean_env(DATABASE_URL=database, IRIS_ENV="test", IRIS_PORT=str(port), IRIS_RATE_LIMITS="off")
    if gunicorn_args:
        env["GUNICORN_CMD_ARGS"] = gunicorn_args
    proc = spawn_server([sys.executable, "-m", "iris", "serve", "--migrate", "--workers", "2"], env)
    try:
        wait_until_serving(port, proc)
        requests.put(f"http://127.0.0.1:{port}/tickets", json={"title": "one"}, timeout=5)
        held = [hold(port, n) for n in range(HELD)]
        time.sleep(0.5)
        times = {
            path: [probe(f"http://127.0.0.1:{port}{path}") for _ in range(PROBES)] for path in ("/health", "/tickets/1")
        }
        for sock in held:
            sock.close()
        return times
    finally:
        stop(proc)


def cell(times: list[float]) -> str:
    answered = [t for t in times if t != float("inf")]
    if not answered:
        return f"none of {len(times)} answered within 5 s"
    worst = "> 5 s" if len(answered) < len(times) else f"{max(answered) * 1000:.0f} ms"
    return f"{len(answered)}/{len(times)} answered; median {statistics.median(answered) * 1000:.0f} ms, worst {worst}"


def main() -> None:
    admin = create_engine(make_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    name = f"iris_bench_slow_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        database = url_string(make_url(ADMIN_URL).set(database=name))
        print(f"| worker class | `/health` with {HELD} held connections | `GET /tickets/1` |")
        print("|---|---|---|")
        for label, args in CLASSES:
            times = measure(database, args)
            print(f"| {label} | {cell(times['/health'])} | {cell(times['/tickets/1'])} |", flush=True)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
