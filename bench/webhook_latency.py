"""Write latency with webhooks on beside writes without them, side by side in one run (issue #26):
`make bench-webhooks`.

The issue asks that "the request latency of writes with webhooks on is within 10% of writes without". Three
servers run at once, each `iris serve --migrate --workers 2` on a throwaway database of its own on the same
PostgreSQL (BENCH_DATABASE_URL, by default postgres@127.0.0.1:5432):

- **A, without**: iris at BENCH_BASE_COMMIT (a3217d1, the commit before the outbox and the worker), checked out
  with `git worktree add` outside the checkout and run with the same virtualenv's python. The editable install's
  import finder is taken out of `sys.meta_path` first, so a module missing from the old tree cannot be found in
  the checkout instead; the bench checks that the old code has no `iris.jobs`, that its database has no
  `procrastinate_jobs` and that it answers 404 to `GET /webhooks`.
- **B, webhooks on**: the checkout's iris, a webhook for every event registered (`POST /webhooks`) to a small
  receiver on 127.0.0.1 (a ThreadingHTTPServer in a process of its own that answers 200), and one
  `python -m iris worker` delivering while the load runs.
- **C, outbox only**: the checkout's iris, no webhook and no worker: each write still defers its job (the
  outbox insert, procrastinate's triggers and NOTIFY), and the jobs pile up. C tells the outbox's own cost apart
  from that of the worker and the receiver competing for the same CPUs.

All three: IRIS_ENV=test (rate limits off), IRIS_AUTH=open, IRIS_REQUIRE_IF_MATCH=false, JSON logs at INFO to a
file, the same IRIS_SECRET_KEY (server and worker), IRIS_WEBHOOK_ALLOW_HOSTS=127.0.0.1. Each database gets
BENCH_TICKETS (1,000) tickets through the API (PUT /tickets, as the load does), then VACUUM ANALYZE; B's
webhook is registered first, so its seed is delivered too (and checked: one delivery a ticket), and the worker
drains it before timing starts.

Then wrk (-t2 -c8, 10 s timeout) from 127.0.0.1 loads, per kind of write: `PUT /tickets` (create), `POST
/tickets/{id}/comments` and `PATCH /tickets/{id}` (a new title each time), the ids walking over the seeded
tickets (the two wrk threads half the tickets apart). Each kind and server is warmed up (BENCH_WARMUP_SECONDS),
then BENCH_ROUNDS rounds of BENCH_SECONDS each, every round running each kind on A, B and C in turn, the
order rotating every round (ABC, BCA, CAB). After every run on B the bench waits until the worker has
delivered everything (at most BENCH_DRAIN_SECONDS), so no server's run pays for B's backlog; it records what
was made and delivered by the end of the run, how long the rest took, and the CPU time of the worker and of
the receiver. Every run also records the CPU time of the server's gunicorn workers and of its database's
PostgreSQL backends, and the CPU the rest of the machine used meanwhile (other people's work: interference).

Ratios B/A and C/A are taken within each round (the runs of a round are a minute or two apart: this machine's
speed drifts), and their median and range are reported. Any socket error or non-2xx answer fails the run; the
servers, worker and receiver are stopped, the databases dropped and the worktree removed whatever happens
(the logs are kept when something failed). BENCH_ONLY=put,comments runs a subset of the kinds.

Time: B's drains dominate. On this machine the worker delivered 3-20 writes a second while draining, slower as the
backlog and the queue's dead rows grow (this PostgreSQL runs with autovacuum off), so a 20 s run on B can take
minutes to drain. BENCH_VACUUM_QUEUE=1 (the default) runs VACUUM ANALYZE on B's queue tables after each drain,
untimed, standing in for autovacuum; BENCH_DRAIN_SECONDS (600) bounds a drain (the report then says so).

Noise: commits wait for the disk (synchronous_commit on), and on these shared machines the time a flush takes
drifts by more than 10% between runs a minute apart (C, with the same request code as B and no worker, has come
out anywhere from 0.9x to 1.4x of A). BENCH_SYNCHRONOUS_COMMIT=off sets it off for all three databases, leaving
the CPU, where the worker competes with the requests; more rounds (BENCH_ROUNDS) narrow the medians.
"""

import json
import os
import re
import resource
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psutil
import requests
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import wrk  # noqa: E402
from bench.throughput import query, source_state  # noqa: E402
from bench.webhook_report import report  # noqa: E402
from iris.models_notify import EVENTS  # noqa: E402
from tests.support import clean_env, free_port, spawn_server, stop, url_string, wait_until_serving  # noqa: E402

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
BASE_COMMIT = os.environ.get("BENCH_BASE_COMMIT", "a3217d1")
TICKETS = int(os.environ.get("BENCH_TICKETS", "1000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WARMUP_SECONDS = int(os.environ.get("BENCH_WARMUP_SECONDS", "5"))
DRAIN_SECONDS = int(os.environ.get("BENCH_DRAIN_SECONDS", "600"))
# With autovacuum off (the CI config of this machine's PostgreSQL), the job queue's dead rows and stale statistics
# are never cleaned and B's worker slows down drain after drain; 1 vacuums B's queue tables after each drain.
VACUUM_QUEUE = os.environ.get("BENCH_VACUUM_QUEUE", "1") == "1"
# The same for all three databases. "off": commits do not wait for the disk, whose flush time on these shared
# machines varies more from minute to minute than what is measured; what is left is CPU, where the worker competes.
SYNCHRONOUS_COMMIT = os.environ.get("BENCH_SYNCHRONOUS_COMMIT", "")
WORKERS = 2
THREADS, CONNECTIONS, TIMEOUT = 2, 8, "10s"
SERVERS = ("A", "B", "C")
LABELS = {"A": "A. without (a3217d1)", "B": "B. webhooks on", "C": "C. outbox only"}
TICKET = {"title": "A new ticket", "assignee": "jchittum", "description": "Get this done ASAP"}  # the tutorial's
COMMENT = {"body": "Seen it too on the staging server; attaching the log."}

# Takes the editable install's finder out of the import system, checks that `iris` is the old tree's, then runs
# `python -m iris` with the arguments that follow the tree's path. (gunicorn runs in this process and forks it.)
OLD_IRIS = """
import importlib.util, runpy, sys
tree = sys.argv[1]
sys.meta_path[:] = [f for f in sys.meta_path if "Editable" not in getattr(f, "__name__", type(f).__name__)]
import iris
assert iris.__file__.startswith(tree + "/"), iris.__file__
assert importlib.util.find_spec("iris.jobs") is None, "iris.jobs found: not the old code"
print(f"webhook bench: old iris from {iris.__file__}, no iris.jobs", file=sys.stderr, flush=True)
sys.argv = ["iris", *sys.argv[2:]]
runpy.run_module("iris", run_name="__main__", alter_sys=True)
"""

# The webhooks' receiver: 200 to every POST (its body read in full); GET answers how many POSTs came.
RECEIVER = """
import sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
received, lock = 0, threading.Lock()
class Hook(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        global received
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with lock:
            received += 1
        self.answer(b"{}")
    def do_GET(self):
        self.answer(str(received).encode())
    def answer(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Hook).serve_forever()
"""

# Each wrk thread gets its number (setup runs in wrk's main Lua state, init in the thread's own).
THREAD_LUA = """
local threads = 0
setup = function(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
wrk.headers["Content-Type"] = "application/json"
"""
CREATE_LUA = """
wrk.method = "PUT"
wrk.body = '{body}'
wrk.headers["Content-Type"] = "application/json"
"""
# The ids walk from the first seeded ticket to the last; thread 1 starts half-way, so the two threads rarely
# write the same ticket at once.
ROTATE_LUA = """
local first, last = {first}, {last}
local next_id, n
init = function(args)
  local span = last - first + 1
  next_id = first + (tid * math.floor(span / 2)) % span
  n = 0
end
request = function()
  local path = "/tickets/" .. next_id .. "{suffix}"
  next_id = next_id < last and next_id + 1 or first
  n = n + 1
  return wrk.format("{method}", path, nil, {body})
end
"""
# µs; errors split into socket errors (connect, read, write, timeout) and statuses > 399.
# BENCH_DELAY_MS: each connection waits this long before each request, so the load is a steady rate well under
# what the machine can take (as real traffic is), rather than as much as it can (0, the default: saturation).
DELAY_MS = int(os.environ.get("BENCH_DELAY_MS", "0"))
PACE_LUA = f"\ndelay = function() return {DELAY_MS} end\n" if DELAY_MS else ""

DONE_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""
DONE_LINE = re.compile(r"^BENCH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", re.MULTILINE)


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    path: str  # the URL's path (with a rotating script, only its host and port count)
    lua: str


def kinds(first: int, last: int) -> list[Kind]:
    def rotate(method: str, suffix: str, body: str) -> str:
        lua = ROTATE_LUA.replace("{first}", str(first)).replace("{last}", str(last))
        return THREAD_LUA + lua.replace("{method}", method).replace("{suffix}", suffix).replace("{body}", body)

    comment = "'" + json.dumps(COMMENT) + "'"
    title = """string.format('{"title": "Edited by the bench, %d-%d"}', tid, n)"""
    every = [
        Kind("put", "`PUT /tickets`", "/tickets", CREATE_LUA.replace("{body}", json.dumps(TICKET))),
        Kind(
            "comments",
            "`POST /tickets/{id}/comments`",
            f"/tickets/{first}/comments",
            rotate("POST", "/comments", comment),
        ),
        Kind("edit", "`PATCH /tickets/{id}` (title)", f"/tickets/{first}", rotate("PATCH", "", title)),
    ]
    wanted = {name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()}
    if wanted - {k.name for k in every}:
        sys.exit(f"webhook bench: BENCH_ONLY names unknown kinds {sorted(wanted - {k.name for k in every})}")
    return [k for k in every if not wanted or k.name in wanted]


def wrk_command(url: str, script: str, seconds: int) -> list[str]:
    return ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", TIMEOUT, "-s", script, url]


def run_wrk(url: str, script: str, seconds: int) -> dict:
    """One wrk run: req/s, p50/p90/p99/mean in ms, the count, wrk's own CPU seconds; RuntimeError on any error."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(wrk_command(url, script, seconds), capture_output=True, text=True, timeout=seconds + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = done.stdout + done.stderr
    match = DONE_LINE.search(out)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{out}")
    count, micros, p50, p90, p99, mean, socket_errors, bad_status = (int(g) for g in match.groups())
    if socket_errors or bad_status:
        raise RuntimeError(f"wrk {url}: {socket_errors} socket errors, {bad_status} non-2xx answers:\n{out}")
    spent = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    times = {"p50": p50 / 1000, "p90": p90 / 1000, "p99": p99 / 1000, "mean": mean / 1000}
    return {"rps": count / (micros / 1e6), **times, "requests": count, "cpu_wrk": spent}


# --- the servers -------------------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    url: object  # its database's SQLAlchemy URL
    base: str = ""
    proc: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None  # B only
    webhook_id: int | None = None  # B only


def iris_env(url, port: int, workdir: str, secret_key: str) -> dict:
    return clean_env(
        DATABASE_URL=url_string(url),
        IRIS_ENV="test",  # rate limits off
        IRIS_AUTH="open",
        IRIS_REQUIRE_IF_MATCH="false",
        IRIS_SECRET_KEY=secret_key,
        IRIS_WEBHOOK_ALLOW_HOSTS="127.0.0.1",
        IRIS_LOG_FORMAT="json",
        IRIS_LOG_LEVEL="INFO",
        IRIS_HOST="127.0.0.1",
        IRIS_PORT=str(port),
        IRIS_WORKERS=str(WORKERS),
        IRIS_DATA_DIR=tempfile.mkdtemp(prefix="data-", dir=workdir),
        PROMETHEUS_MULTIPROC_DIR=tempfile.mkdtemp(prefix="metrics-", dir=workdir),
        SETUPTOOLS_USE_DISTUTILS="stdlib",  # as `make run` and the Docker image set it
    )


def serve_command(server: str, tree: str) -> list[str]:
    args = ["serve", "--migrate", "--workers", str(WORKERS)]
    if server == "A":
        return [sys.executable, "-c", OLD_IRIS, tree, *args]
    return [sys.executable, "-m", "iris", *args]


def start(server: Server, tree: str, workdir: str, secret_key: str, files: list, procs: list) -> dict:
    port = free_port()
    env = iris_env(server.url, port, workdir, secret_key)
    if server.name == "A":
        env["PYTHONPATH"] = tree
    server.proc = spawn_server(serve_command(server.name, tree), env, cwd=workdir)
    procs.append(server.proc)
    files.append(server.proc.log_path)
    wait_until_serving(port, server.proc, seconds=180)  # --migrate runs every revision on the empty database
    server.base = f"http://127.0.0.1:{port}"
    return env


def check_versions(servers: dict[str, Server]) -> None:
    """A runs the old code (no job queue, no webhooks), B and C the new."""
    for s in servers.values():
        has_queue = query(s.url, "SELECT to_regclass('procrastinate_jobs') IS NOT NULL")[0]
        webhooks = requests.get(f"{s.base}/webhooks", timeout=10).status_code
        old = s.name == "A"
        if has_queue == old or (webhooks == 404) != old:
            raise RuntimeError(f"{s.name}: procrastinate_jobs {has_queue}, GET /webhooks {webhooks}: wrong code?")
        if requests.get(f"{s.base}/tickets", timeout=10).headers.get("RateLimit-Limit"):
            raise RuntimeError(f"{s.name}: rate limits are on")
    if "old iris from" not in Path(servers["A"].proc.log_path).read_text(errors="replace"):
        raise RuntimeError("A's log does not say it imported the old tree")


def start_receiver(files: list, procs: list) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = spawn_server([sys.executable, "-c", RECEIVER, str(port)], clean_env())
    procs.append(proc)
    files.append(proc.log_path)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            requests.get(url, timeout=1)
            return proc, url
        except requests.RequestException:
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError(f"the receiver did not start: {Path(proc.log_path).read_text()}") from None
            time.sleep(0.2)


def received(receiver_url: str) -> int:
    return int(requests.get(receiver_url, timeout=10).text)


def register_webhook(base: str, receiver_url: str) -> int:
    body = {"url": f"{receiver_url}/hook", "secret": secrets.token_urlsafe(24), "events": list(EVENTS)}
    answer = requests.post(f"{base}/webhooks", json=body, timeout=10)
    if answer.status_code != 201:
        raise RuntimeError(f"POST /webhooks: {answer.status_code}: {answer.text[:300]}")
    return answer.json()["webhook_id"]


def seed(base: str, count: int) -> None:
    with requests.Session() as http:
        for _ in range(count):
            answer = http.put(f"{base}/tickets", json=TICKET, timeout=10)
            if answer.status_code != 201:
                raise RuntimeError(f"PUT /tickets: {answer.status_code}: {answer.text[:300]}")


def check_kinds(servers: dict[str, Server], chosen: list[Kind], first: int) -> None:
    """Each kind's request answers 2xx on every server (the same request as the Lua script sends)."""
    for s in servers.values():
        for kind in chosen:
            if kind.name == "put":
                answer = requests.put(f"{s.base}/tickets", json=TICKET, timeout=10)
            elif kind.name == "comments":
                answer = requests.post(f"{s.base}/tickets/{first}/comments", json=COMMENT, timeout=10)
            else:
                answer = requests.patch(f"{s.base}/tickets/{first}", json={"title": "Edited, checked"}, timeout=10)
            if not 200 <= answer.status_code < 300:
                raise RuntimeError(f"{s.name} {kind.name}: {answer.status_code}: {answer.text[:300]}")


# --- B's deliveries ------------------------------------------------------------------------------------------

DELIVERIES = "SELECT status, count(*) FROM webhook_deliveries GROUP BY status"
JOBS = "SELECT task_name, count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') GROUP BY task_name"


def deliveries(url, conn=None) -> dict[str, int]:
    """Deliveries by status, and the jobs still to run (`jobs:<task>`)."""
    if conn is not None:
        counts = dict(conn.exec_driver_sql(DELIVERIES).all())
        return counts | {f"jobs:{task}": n for task, n in conn.exec_driver_sql(JOBS)}
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return deliveries(url, conn)
    finally:
        engine.dispose()


def backlog(counts: dict[str, int]) -> int:
    return counts.get("pending", 0) + sum(n for key, n in counts.items() if key.startswith("jobs:"))


# What B's database is busy with while the worker drains (the timed run is over, so this costs it nothing): the
# active statements of the other backends, sampled at each poll, by their text (whitespace folded, cut short).
ACTIVE = (
    "SELECT query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
    "AND state = 'active'"
)
BUSY: Counter = Counter()


def drain(url, seconds: float) -> tuple[float, dict[str, int]]:
    """Wait until no delivery is pending and no job waits; the seconds it took (-1: it gave up), and the counts."""
    began = time.monotonic()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            while True:
                counts = deliveries(url, conn)
                if backlog(counts) == 0:
                    return time.monotonic() - began, counts
                if time.monotonic() - began > seconds:
                    print(f"B's worker did not catch up within {seconds:.0f} s: {counts}", file=sys.stderr)
                    return -1.0, counts
                for (statement,) in conn.exec_driver_sql(ACTIVE):
                    BUSY[" ".join(statement.split())[:160]] += 1
                time.sleep(0.1)
    finally:
        engine.dispose()


# --- CPU ------------------------------------------------------------------------------------------------------


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its children so far (0 once gone)."""
    try:
        proc = psutil.Process(pid)
        total = 0.0
        for p in [proc, *proc.children(recursive=True)]:
            times = p.cpu_times()
            total += times.user + times.system
        return total
    except psutil.Error:
        return 0.0


def backends(url) -> list[int]:
    """Every PostgreSQL backend on that database (the server's, and in B the worker's)."""
    sql = "SELECT array_agg(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    return query(url, sql)[0] or []


def busy_seconds() -> tuple[float, float]:
    """The whole machine's busy CPU seconds so far (all CPUs, steal left out), and the stolen ones."""
    t = psutil.cpu_times()
    busy = t.user + t.nice + t.system + t.irq + t.softirq
    return busy, t.steal


class Meters:
    """CPU seconds spent during a block by: the server's gunicorn workers, its database's backends, (B) the worker
    and the receiver, and the rest of the machine (other people's work, minus wrk)."""

    def __init__(self, server: Server, receiver: subprocess.Popen | None):
        self.server, self.receiver = server, receiver

    def _read(self) -> dict:
        s = self.server
        pg = {pid: wrk.cpu_seconds(pid) for pid in backends(s.url)}
        return {
            "gunicorn": {pid: wrk.cpu_seconds(pid) for pid in wrk.worker_pids(s.proc.pid)},
            "postgres": pg,
            "worker": tree_cpu(s.worker.pid) if s.worker else 0.0,
            "receiver": tree_cpu(self.receiver.pid) if s.worker and self.receiver else 0.0,
            "machine": busy_seconds(),
        }

    def __enter__(self) -> "Meters":
        self.before = self._read()
        return self

    def __exit__(self, *exc) -> None:
        after, before = self._read(), self.before
        spent = {}
        for key in ("gunicorn", "postgres"):  # processes present at both ends (a pool's connections stay)
            spent[key] = sum(after[key][pid] - before[key].get(pid, after[key][pid]) for pid in after[key])
        spent["worker"] = after["worker"] - before["worker"]
        spent["receiver"] = after["receiver"] - before["receiver"]
        spent["busy"] = after["machine"][0] - before["machine"][0]
        spent["steal"] = after["machine"][1] - before["machine"][1]
        self.spent = spent


# --- the run ------------------------------------------------------------------------------------------------


def one_run(server: Server, kind: Kind, script: str, seconds: int, receiver) -> dict:
    counts_before = deliveries(server.url) if server.worker else {}
    received_before = received(receiver[1]) if server.worker else 0
    with Meters(server, receiver[0]) as meters:
        run = run_wrk(server.base + kind.path, script, seconds)
    run["cpu"] = meters.spent
    ours = sum(meters.spent[k] for k in ("gunicorn", "postgres", "worker", "receiver")) + run["cpu_wrk"]
    run["cpu"]["other"] = max(meters.spent["busy"] - ours, 0.0)
    if server.worker:
        at_end = deliveries(server.url)
        with Meters(server, receiver[0]) as after:
            drained_s, counts = drain(server.url, DRAIN_SECONDS)
        if VACUUM_QUEUE:  # stands in for autovacuum, off on this server: untimed, between runs
            query(server.url, "VACUUM ANALYZE procrastinate_jobs, procrastinate_events, webhook_deliveries")
        made = sum(counts.get(s, 0) for s in ("pending", "delivered", "failed"))
        made -= sum(counts_before.get(s, 0) for s in ("pending", "delivered", "failed"))
        run["b"] = {
            "writes": run["requests"],
            "made_by_end": sum(at_end.get(s, 0) for s in ("pending", "delivered", "failed"))
            - sum(counts_before.get(s, 0) for s in ("pending", "delivered", "failed")),
            "delivered_by_end": at_end.get("delivered", 0) - counts_before.get("delivered", 0),
            "backlog_at_end": backlog(at_end),
            "made": made,
            "delivered": counts.get("delivered", 0) - counts_before.get("delivered", 0),
            "failed": counts.get("failed", 0) - counts_before.get("failed", 0),
            "received": received(receiver[1]) - received_before,
            "drain_s": drained_s,
            "worker_cpu_drain": after.spent["worker"],
            "receiver_cpu_drain": after.spent["receiver"],
            "postgres_cpu_drain": after.spent["postgres"],
        }
    return run


def order(round_no: int) -> tuple[str, ...]:
    """ABC, BCA, CAB, ...: each server in each place once every three rounds."""
    shift = round_no % len(SERVERS)
    return SERVERS[shift:] + SERVERS[:shift]


def measure(servers: dict[str, Server], chosen: list[Kind], scripts: dict, receiver) -> dict:
    for kind in chosen:
        for name in SERVERS:
            one_run(servers[name], kind, scripts[kind.name], WARMUP_SECONDS, receiver)
    runs = {kind.name: {name: [] for name in SERVERS} for kind in chosen}
    for round_no in range(ROUNDS):
        for kind in chosen:
            for name in order(round_no):
                run = one_run(servers[name], kind, scripts[kind.name], SECONDS, receiver)
                runs[kind.name][name].append(run)
                line = (
                    f"{run['rps']:,.0f} req/s, p50 {run['p50']:.2f} ms, p90 {run['p90']:.2f} ms, "
                    f"p99 {run['p99']:.2f} ms, other CPU {run['cpu']['other']:.1f} s"
                )
                if "b" in run:
                    b = run["b"]
                    line += (
                        f"; deliveries made {b['made_by_end']:,} / delivered {b['delivered_by_end']:,} by the end "
                        f"of {run['requests']:,} writes, drained in {b['drain_s']:.1f} s"
                    )
                print(f"round {round_no + 1}, {kind.name}, {name}: {line}", file=sys.stderr, flush=True)
    return runs


def run(databases: dict, tree: str, files: list, procs: list) -> str:
    workdir = tempfile.mkdtemp(prefix="iris-webhooks-")  # no .env or gunicorn.conf.py of a checkout is read
    files.append(workdir)
    secret_key = secrets.token_urlsafe(48)
    servers = {name: Server(name, databases[name]) for name in SERVERS}
    envs = {name: start(servers[name], tree, workdir, secret_key, files, procs) for name in SERVERS}
    check_versions(servers)
    receiver = start_receiver(files, procs)
    b = servers["B"]
    b.worker = spawn_server([sys.executable, "-m", "iris", "worker"], envs["B"], cwd=workdir)
    procs.append(b.worker)
    files.append(b.worker.log_path)
    b.webhook_id = register_webhook(b.base, receiver[1])
    print(f"seeding {TICKETS:,} tickets on each server through the API", file=sys.stderr, flush=True)
    for s in servers.values():
        seed(s.base, TICKETS)
    drain(b.url, DRAIN_SECONDS)
    seeded = deliveries(b.url)
    if seeded.get("delivered", 0) != TICKETS or received(receiver[1]) != TICKETS:
        raise RuntimeError(f"B: {TICKETS} tickets made {seeded} deliveries, {received(receiver[1])} received")
    ids = {}
    for s in servers.values():
        first, last, count = query(s.url, "SELECT min(ticket_id), max(ticket_id), count(*) FROM tickets")
        if count != last - first + 1:
            raise RuntimeError(f"{s.name}: ticket ids {first}..{last} have gaps; the Lua scripts walk them all")
        ids[s.name] = (first, last)
    if len(set(ids.values())) != 1:
        raise RuntimeError(f"the servers' ticket ids differ: {ids}")
    first, last = ids["A"]
    for s in servers.values():
        query(s.url, "VACUUM ANALYZE")
    chosen = kinds(first, last)
    scripts = {}
    for kind in chosen:
        scripts[kind.name] = os.path.join(workdir, f"{kind.name}.lua")
        Path(scripts[kind.name]).write_text(kind.lua + PACE_LUA + DONE_LUA)
    check_kinds(servers, chosen, first)
    drain(b.url, DRAIN_SECONDS)
    for s in servers.values():
        print(f"{s.name}: gunicorn master {s.proc.pid}, workers {wrk.worker_pids(s.proc.pid)}", file=sys.stderr)
    print(f"B: worker {b.worker.pid}, receiver {receiver[0].pid}", file=sys.stderr, flush=True)
    loads = [wrk.load_average()]
    began = time.time()
    runs = measure(servers, chosen, scripts, receiver)
    loads.append(wrk.load_average())
    after = {
        name: {
            "comments": query(s.url, "SELECT count(*) FROM comments")[0],
            "tickets": query(s.url, "SELECT count(*) FROM tickets")[0],
            "jobs": query(s.url, "SELECT count(*) FROM procrastinate_jobs")[0] if name != "A" else None,
            "log": log_summary(s.proc.log_path),
            "scans": table_scans(s.url),
        }
        for name, s in servers.items()
    }
    after["B"]["worker_log"] = log_summary(b.worker.log_path)
    after["B"]["busy"], after["B"]["busy_total"] = BUSY.most_common(10), sum(BUSY.values())
    about = {
        "machine": wrk.machine(),
        "postgres": query(databases["A"], "SHOW server_version")[0],
        "autovacuum": query(databases["A"], "SHOW autovacuum")[0],  # off: the queue's dead rows pile up
        "synchronous_commit": query(databases["A"], "SHOW synchronous_commit")[0],
        "vacuum_queue": VACUUM_QUEUE,
        "source": source_state(),
        "base": subprocess.run(
            ["git", "-C", tree, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip(),
        "tickets": TICKETS,
        "rounds": ROUNDS,
        "seconds": SECONDS,
        "warmup": WARMUP_SECONDS,
        "loads": loads,
        "minutes": (time.time() - began) / 60,
        "wrk": f"wrk -t{THREADS} -c{CONNECTIONS} --timeout {TIMEOUT}",
    }
    commands = command_lines(servers, chosen, envs, tree, receiver[1])
    return report(about, chosen, runs, after, commands, LABELS, order)


SCANS = """
SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), n_tup_ins + n_tup_upd + n_tup_del, n_live_tup
FROM pg_stat_user_tables ORDER BY seq_tup_read DESC LIMIT 6
"""


def table_scans(url) -> list[tuple]:
    """The tables most read by sequential scans since the database was made (where a worker's time can go)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.exec_driver_sql(SCANS)]
    finally:
        engine.dispose()


def log_summary(path: str) -> str:
    lines = warnings = 0
    with open(path, errors="replace") as log:
        for line in log:
            lines += 1
            warnings += any(f'"level": "{level}"' in line for level in ("warning", "error", "critical"))
    return f"{lines:,} lines, {warnings} warnings or errors"


def command_lines(servers: dict[str, Server], chosen: list[Kind], envs: dict, tree: str, receiver: str) -> list:
    env = envs["B"]
    shown = {k: env[k] for k in sorted(env) if k.startswith("IRIS_") and k not in ("IRIS_PORT", "IRIS_DATA_DIR")}
    shown["IRIS_SECRET_KEY"] = "<48 random characters, the same for all>"
    shown["DATABASE_URL"] = "postgresql+psycopg2://postgres@127.0.0.1:5432/<throwaway, one each>"
    prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in shown.items())
    lines = [
        f"git worktree add {tree} {BASE_COMMIT}",
        f"A: {prefix} PYTHONPATH={tree} python -m iris serve --migrate --workers {WORKERS}"
        "   (the editable install's finder removed first: bench/webhook_latency.py's OLD_IRIS)",
        f"B: {prefix} python -m iris serve --migrate --workers {WORKERS}",
        f"   {prefix} python -m iris worker",
        f'   POST /webhooks {{"url": "{receiver}/hook", "secret": "<random>", "events": {list(EVENTS)}}}'
        "   (the receiver: a ThreadingHTTPServer answering 200)",
        f"C: {prefix} python -m iris serve --migrate --workers {WORKERS}   (no webhook, no worker)",
        f"each: {TICKETS} x PUT /tickets {json.dumps(TICKET)}; VACUUM ANALYZE",
    ]
    for kind in chosen:
        shown_wrk = wrk_command("http://127.0.0.1:<port>" + kind.path, kind.name + ".lua", SECONDS)
        lines.append(f"{kind.name}: {shlex.join(shown_wrk)}")
    for kind in chosen:
        lines += [f"{kind.name}.lua:", *(f"  {line}" for line in (kind.lua + DONE_LUA).strip().splitlines())]
    return lines


# --- a bench's life: three throwaway databases and a worktree, cleaned up whatever happens --------------------


def main() -> int:
    if shutil.which("wrk") is None:
        sys.exit("webhook bench: wrk not found (Debian: apt-get install wrk)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` cleans up on kill too
    admin = make_url(ADMIN_URL).set(drivername="postgresql+psycopg2")
    tag = uuid.uuid4().hex[:8]
    names = {name: f"iris_bench_webhooks_{name.lower()}_{tag}" for name in SERVERS}
    tree = os.path.join(tempfile.gettempdir(), f"iris-{BASE_COMMIT}-{tag}")
    admin_engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    procs: list[subprocess.Popen] = []
    files: list[str] = []
    made: list[str] = []
    worktree = False
    try:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", tree, BASE_COMMIT],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        worktree = True
        with admin_engine.connect() as conn:
            for name in names.values():
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
                made.append(name)
                if SYNCHRONOUS_COMMIT in ("on", "off"):
                    conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = {SYNCHRONOUS_COMMIT}')
        print(run({s: admin.set(database=n) for s, n in names.items()}, tree, files, procs))
        return 0
    except BaseException as exc:
        traceback.print_exc()
        if isinstance(exc, subprocess.CalledProcessError):
            print(f"{' '.join(map(str, exc.cmd))}:\n{exc.stdout}{exc.stderr}", file=sys.stderr)
        for proc in procs:  # keep the logs for a look at what went wrong
            if proc.log_path in files:
                files.remove(proc.log_path)
            print(f"a log: {proc.log_path}", file=sys.stderr)
        return 1
    finally:
        for proc in reversed(procs):  # the worker and the receiver before the servers
            stop(proc)
        with admin_engine.connect() as conn:
            for name in made:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin_engine.dispose()
        if worktree:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", tree],
                capture_output=True,
                text=True,
                timeout=120,
            )
        for path in files:
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else Path(path).unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
