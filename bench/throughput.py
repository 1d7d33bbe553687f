"""iris's throughput beside a bare hug endpoint, side by side in one run (issue #24): `make bench-throughput`.

iris runs as in production: `IRIS_ENV=prod` (so `IRIS_AUTH=required`: a token on every request),
rate limits on, JSON logs at INFO to a file, metrics on, `IRIS_REQUIRE_IF_MATCH` as default, 2 gevent
workers (`iris serve`). The yardstick, bench/bare_hug.py, is a bare hug app under the same gunicorn
settings that answers a ticket-shaped JSON body from memory.

The script creates a throwaway database on the system PostgreSQL (BENCH_DATABASE_URL, by default
postgres@127.0.0.1:5432), migrates it, seeds BENCH_TICKETS (5,000) tickets, makes an admin `bench`
with a token and the user `jchittum` (the tutorial's assignee), runs VACUUM ANALYZE, starts both
servers and checks their answers. Then, per request kind, it warms both up and runs wrk (-t2 -c8,
BENCH_SECONDS each, BENCH_ROUNDS rounds) from 127.0.0.1, taking turns bare/iris and flipping the order
every round, with the token on iris's runs:

- `get`: GET /tickets/{id}, ids rotating over all tickets (target: iris ≥ 60% of bare);
- `put`: PUT /tickets with the tutorial's body (target: ≥ 40%);
- `list`: GET /tickets?limit=50 (iris only);
- `comments`: POST /tickets/{id}/comments, ids rotating (iris only).

`BENCH_ONLY=get,put` runs a subset. Any socket error or non-2xx answer fails the run. It records req/s
(each run and the median), p50/p99 latency and each worker's largest VmRSS, prints a markdown table
with the machine, PostgreSQL's version and the exact commands, and stops what it started and drops the
database whatever happens (the servers' logs are kept when something failed).

The rate limits are set to 1,000,000 a *second*: never reached, and the moving window then holds
about a second of one client's requests (some hundreds per worker), as a production limit of
1200/minute does at most; a limit per minute this high would keep every request of the last minute
in a list that each hit copies, a cost production never pays.
"""

import json
import os
import secrets
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import wrk  # noqa: E402
from iris.config import PLACEHOLDER_PASSWORDS  # noqa: E402
from tests.support import clean_env, free_port, spawn_server, stop, url_string, wait_until_serving  # noqa: E402

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
TICKETS = int(os.environ.get("BENCH_TICKETS", "5000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WARMUP_SECONDS = min(int(os.environ.get("BENCH_WARMUP_SECONDS", "5")), SECONDS)
WORKERS = 2
CLI_TIMEOUT = 300  # seconds, for each `iris` command (the seed is the slowest)
RATE_LIMIT = "1000000/second"  # never reached; see the module's docstring for why per second
# The servers take turns; the order reverses every round so a drifting machine favours none of them.
TUTORIAL_TICKET = {"title": "A new ticket", "assignee": "jchittum", "description": "Get this done ASAP"}
KIND_NAMES = ("get", "put", "list", "comments")
COMMENT = {"body": "Seen it too on the staging server; attaching the log."}

# Each wrk thread walks the ticket ids in turn, from the first to the last, then again.
ROTATE_LUA = """
local first, last = {first}, {last}
local next_id = first
request = function()
  local path = "/tickets/" .. next_id .. "{suffix}"
  next_id = next_id < last and next_id + 1 or first
  return wrk.format("{method}", path)
end
"""
BODY_LUA = """
wrk.method = "{method}"
wrk.body = '{body}'
wrk.headers["Content-Type"] = "application/json"
"""


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    path: str  # the URL's path; with ROTATE_LUA only its host and port count
    lua: str
    both: bool  # bare hug too, or iris only
    target: float | None = None  # iris's share of bare hug's req/s to reach
    beside: str | None = None  # for an iris-only kind: the bare kind its req/s is set beside


def kinds(first: int, last: int) -> list[Kind]:
    def rotate(method: str, suffix: str = "") -> str:
        return (
            ROTATE_LUA.replace("{first}", str(first))
            .replace("{last}", str(last))
            .replace("{method}", method)
            .replace("{suffix}", suffix)
        )

    def body(method: str, value: dict) -> str:
        return BODY_LUA.replace("{method}", method).replace("{body}", json.dumps(value))

    return [
        Kind("get", "`GET /tickets/{id}`", f"/tickets/{first}", rotate("GET"), True, 0.60),
        Kind("put", "`PUT /tickets`", "/tickets", body("PUT", TUTORIAL_TICKET), True, 0.40),
        Kind("list", "`GET /tickets?limit=50`", "/tickets?limit=50", "", False, beside="get"),
        Kind(
            "comments",
            "`POST /tickets/{id}/comments`",
            f"/tickets/{first}/comments",
            body("POST", COMMENT) + rotate("POST", "/comments"),
            False,
            beside="put",
        ),
    ]


def only() -> set[str]:
    """BENCH_ONLY's kinds (all when unset)."""
    names = {name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()}
    if names - set(KIND_NAMES):
        sys.exit(f"throughput: BENCH_ONLY names unknown kinds {sorted(names - set(KIND_NAMES))}; known: {KIND_NAMES}")
    return names or set(KIND_NAMES)


def iris(env: dict, cwd: str, *args: str) -> str:
    """Run an `iris` command; its stdout, or CalledProcessError with its stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "iris", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=CLI_TIMEOUT
    )
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, ["iris", *args], done.stdout, done.stderr)
    return done.stdout


def query(url, sql: str):
    """One statement on a connection of its own (autocommit); its first row."""
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        result = conn.execute(text(sql))
        return result.first() if result.returns_rows else None


def prepare(env: dict, cwd: str, url) -> str:
    """Migrate, seed, make the admin `bench` (and its token) and `jchittum`; the token's secret."""
    iris(env, cwd, "db", "upgrade")
    iris(env, cwd, "seed", "--tickets", str(TICKETS))
    iris(env, cwd, "users", "create", "bench", "--role", "admin")
    iris(env, cwd, "users", "create", "jchittum")  # the tutorial's assignee: required mode refuses unknown ones
    secret = json.loads(iris(env, cwd, "tokens", "issue", "bench", "--name", "throughput-bench"))["secret"]
    query(url, "VACUUM ANALYZE")  # no autovacuum of the fresh seed while timing
    return secret


def ticket_ids(url) -> tuple[int, int]:
    first, last, count = query(url, "SELECT min(ticket_id), max(ticket_id), count(*) FROM tickets")
    if count != last - first + 1:
        raise RuntimeError(f"ticket ids {first}..{last} have gaps ({count} tickets); the Lua scripts walk them all")
    return first, last


def profile(url) -> str:
    """prod, unless the database URL's password is one that prod refuses (then test, said in the report)."""
    return "test" if url.password is not None and url.password.lower() in PLACEHOLDER_PASSWORDS else "prod"


def iris_env(url, port: int, metrics_dir: str) -> dict:
    return clean_env(
        DATABASE_URL=url_string(url),
        IRIS_ENV=profile(url),
        IRIS_AUTH="required",
        IRIS_SECRET_KEY=secrets.token_urlsafe(48),  # prod requires one (it signs the web page's cookies)
        IRIS_RATE_LIMITS="on",
        IRIS_RATE_LIMIT_READS=RATE_LIMIT,
        IRIS_RATE_LIMIT_WRITES=RATE_LIMIT,
        IRIS_RATE_LIMIT_SEARCHES=RATE_LIMIT,
        SETUPTOOLS_USE_DISTUTILS="stdlib",  # as `make run` and the Docker image set it (11 MB a worker)
        IRIS_LOG_FORMAT="json",
        IRIS_LOG_LEVEL="INFO",
        IRIS_HOST="127.0.0.1",
        IRIS_PORT=str(port),
        IRIS_WORKERS=str(WORKERS),
        PROMETHEUS_MULTIPROC_DIR=metrics_dir,
    )


def bare_command(port: int, sync: bool = False) -> list[str]:
    """bench/bare_hug.py under iris's own gunicorn settings (iris/server.py), those that bear on throughput;
    with `sync`, under gunicorn's sync workers instead: the yardstick issue #24 was written against."""
    from iris.config import Settings
    from iris.server import iris_defaults

    d = iris_defaults(Settings(host="127.0.0.1", port=port), WORKERS)
    return [
        *(sys.executable, "-m", "gunicorn", "-k", "sync" if sync else d["worker_class"], "-w", str(WORKERS)),
        *("--worker-connections", str(d["worker_connections"]), "--keep-alive", str(d["keepalive"])),
        *("--timeout", str(d["timeout"]), "--graceful-timeout", str(d["graceful_timeout"])),
        *("-b", f"127.0.0.1:{port}", "--chdir", str(ROOT), "bench.bare_hug:app"),
    ]


def check(bare: str, base: str, secret: str, first: int) -> list[str]:
    """Every kind answers 2xx on both servers, the token is required, limits are on; notes on the bodies."""
    auth = {"Authorization": f"Bearer {secret}"}
    notes = []

    def call(method: str, url: str, expect: int, headers: dict | None = None, body: dict | None = None):
        answer = requests.request(method, url, headers=headers, json=body, timeout=10)
        if answer.status_code != expect:
            raise RuntimeError(f"{method} {url}: {answer.status_code}, expected {expect}: {answer.text[:300]}")
        return answer

    call("GET", f"{base}/tickets/{first}", 401)  # required mode: no token, no ticket
    got = call("GET", f"{base}/tickets/{first}", 200, auth)
    if "RateLimit-Limit" not in got.headers:
        raise RuntimeError("iris answered without RateLimit-Limit: are the rate limits on?")
    shapes = {"GET": (got.json(), call("GET", f"{bare}/tickets/{first}", 200).json())}
    shapes["PUT"] = (
        call("PUT", f"{base}/tickets", 201, auth, TUTORIAL_TICKET).json(),
        call("PUT", f"{bare}/tickets", 201, None, TUTORIAL_TICKET).json(),
    )
    call("GET", f"{base}/tickets?limit=50", 200, auth)
    call("POST", f"{base}/tickets/{first}/comments", 201, auth, COMMENT)
    for method, (real, bare_body) in shapes.items():
        if sorted(real) != sorted(bare_body):
            notes.append(f"bare hug's {method} body has keys {sorted(bare_body)}, iris's {sorted(real)}")
    return notes


def meters(master: int, url) -> tuple[wrk.CpuMeter, wrk.CpuMeter]:
    """CPU time of a server's workers and (for iris, whose database `url` is) of its PostgreSQL backends."""
    return wrk.CpuMeter(lambda: wrk.worker_pids(master)), wrk.CpuMeter(lambda: backends(url) if url else [])


def measure(kind: Kind, urls: dict[str, str], script: str, secret: str, masters: dict[str, int], url) -> dict:
    """Warm up, then ROUNDS runs per server (taking turns); each run with its workers' largest RSS."""
    headers = {"bare": (), "bare-sync": (), "iris": (f"Authorization: Bearer {secret}",)}
    servers = ("bare", "bare-sync", "iris") if kind.both else ("iris",)
    for server in servers:
        wrk.run(urls[server] + kind.path, script, WARMUP_SECONDS, headers[server])
    runs: dict[str, list[dict]] = {server: [] for server in servers}
    for round_no in range(ROUNDS):
        for server in servers if round_no % 2 == 0 else servers[::-1]:
            workers, postgres = meters(masters[server], url if server == "iris" else None)
            with wrk.RssSampler(masters[server]) as rss, workers, postgres:
                run = wrk.run(urls[server] + kind.path, script, SECONDS, headers[server])
            run["rss"] = rss.peak
            run["cpu_workers"] = workers.spent / run["requests"] * 1e6  # µs a request
            run["cpu_postgres"] = postgres.spent / run["requests"] * 1e6
            runs[server].append(run)
            print(
                f"{kind.name}, round {round_no + 1}, {server}: {run['rps']:,.0f} req/s, p50 {run['p50']:.2f} ms, "
                f"p99 {run['p99']:.2f} ms, worker RSS {', '.join(f'{mib:.0f}' for mib in rss.peak.values())} MiB",
                file=sys.stderr,
            )
    return runs


def backends(url) -> list[int]:
    """iris's PostgreSQL backends (the server is on this machine, so their CPU time is in /proc)."""
    pids = query(url, "SELECT array_agg(pid) FROM pg_stat_activity WHERE datname = current_database() "
                 "AND application_name = 'iris'")[0]  # fmt: skip
    return pids or []


def median(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def summary_table(results: dict[str, dict], by_name: dict[str, Kind]) -> list[str]:
    rows = [
        "| request | bare hug req/s | iris req/s | share (iris/bare) | iris p50 | iris p99 | target met? "
        "| bare hug, sync workers | iris's share of it |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in results.items():
        kind, iris_rps = by_name[name], median(runs["iris"], "rps")
        latency = f"{median(runs['iris'], 'p50'):.2f} ms | {median(runs['iris'], 'p99'):.2f} ms"
        if kind.both:
            bare_rps = median(runs["bare"], "rps")
            share = iris_rps / bare_rps
            verdict = f"≥ {kind.target:.0%}: {'met' if share >= kind.target else '**not met**'}"
            sync_rps = median(runs["bare-sync"], "rps")
            rows.append(
                f"| {kind.label} | {bare_rps:,.0f} | {iris_rps:,.0f} | {share:.1%} | {latency} | {verdict} "
                f"| {sync_rps:,.0f} | {iris_rps / sync_rps:.1%} |"
            )
        else:
            beside = results.get(kind.beside, {}).get("bare")
            share = f"({iris_rps / median(beside, 'rps'):.1%} of bare {kind.beside.upper()})" if beside else "—"
            rows.append(f"| {kind.label} (iris only) | — | {iris_rps:,.0f} | {share} | {latency} | — | — | — |")
    return rows


def runs_table(results: dict[str, dict], by_name: dict[str, Kind]) -> list[str]:
    rows = [
        "| request | server | req/s per run (in order) | median req/s | median p50 | median p99 "
        "| CPU a request: workers + PostgreSQL |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, runs in results.items():
        for server, each in runs.items():
            per_run = ", ".join(f"{run['rps']:,.0f}" for run in each)
            rows.append(
                f"| {by_name[name].label} | {server} | {per_run} | {median(each, 'rps'):,.0f} "
                f"| {median(each, 'p50'):.2f} ms | {median(each, 'p99'):.2f} ms "
                f"| {median(each, 'cpu_workers'):,.0f} + {median(each, 'cpu_postgres'):,.0f} µs |"
            )
    return rows


def rss_table(results: dict[str, dict], idle: dict[str, dict[int, float]]) -> list[str]:
    rows = ["| server | worker | RSS at start | largest RSS during its runs |", "|---|---|---|---|"]
    for server in ("bare", "bare-sync", "iris"):
        peak: dict[int, float] = {}
        for runs in results.values():
            for run in runs.get(server, []):
                for pid, mib in run["rss"].items():
                    peak[pid] = max(mib, peak.get(pid, 0.0))
        for pid in sorted(set(idle[server]) | set(peak)):
            start = f"{idle[server][pid]:.1f} MiB" if pid in idle[server] else "—"
            most = f"{peak[pid]:.1f} MiB" if pid in peak else "—"
            name = {"bare": "bare hug", "bare-sync": "bare hug, sync"}.get(server, server)
            rows.append(f"| {name} | pid {pid} | {start} | {most} |")
    return rows


def commands(kinds_run: list[Kind], urls: dict[str, str], env: dict, bare_cmd: list[str]) -> list[str]:
    shown = {
        key: env[key]
        for key in sorted(env)
        if (key.startswith("IRIS_") and key != "IRIS_HOST") or key == "SETUPTOOLS_USE_DISTUTILS"
    }
    shown["DATABASE_URL"] = "postgresql+psycopg2://postgres@127.0.0.1:5432/<throwaway>"
    lines = [
        "servers:",
        f"  {' '.join(f'{k}={shlex.quote(v)}' for k, v in shown.items())} python -m iris serve",
        f"  {shlex.join(['python', *bare_cmd[1:]])}",
        "  (bare-sync: the same with -k sync)",
        "wrk (each run; the servers take turns, the order reverses every round; <kind>.lua is printed below):",
    ]
    for kind in kinds_run:
        for server in ("bare", "bare-sync", "iris") if kind.both else ("iris",):
            headers = ("Authorization: Bearer $TOKEN",) if server == "iris" else ()
            lines.append(f"  {shlex.join(wrk.command(urls[server] + kind.path, f'{kind.name}.lua', SECONDS, headers))}")
    for kind in kinds_run:
        lines += [f"{kind.name}.lua:", *(f"  {line}" for line in (kind.lua + wrk.DONE_LUA).strip().splitlines())]
    return lines


def source_state() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
        return done.stdout.strip()

    changed = git("status", "--porcelain", "--", "iris")
    return f"iris at {git('rev-parse', '--short', 'HEAD')}" + (" with uncommitted changes in iris/" if changed else "")


def server_log_summary(path: str) -> str:
    lines = warnings = 0
    with open(path, errors="replace") as log:
        for line in log:
            lines += 1
            warnings += '"level": "warning"' in line or '"level": "error"' in line or '"level": "critical"' in line
    return f"iris's log: {lines:,} lines ({os.path.getsize(path) / 2**20:.1f} MiB), {warnings} warnings or errors"


def run(url, files: list[str], procs: dict) -> str:
    """Prepare the database, serve it with iris and bare hug beside it, load both; the report."""
    workdir = tempfile.mkdtemp(prefix="iris-throughput-")  # no .env or gunicorn.conf.py of the checkout is read
    files.append(workdir)
    ports = {"iris": free_port(), "bare": free_port(), "bare-sync": free_port()}
    env = iris_env(url, ports["iris"], tempfile.mkdtemp(prefix="metrics-", dir=workdir))
    secret = prepare(env, workdir, url)
    first, last = ticket_ids(url)
    by_name = {kind.name: kind for kind in kinds(first, last)}
    kinds_run = [kind for kind in by_name.values() if kind.name in only()]
    scripts = {}
    for kind in kinds_run:
        scripts[kind.name] = os.path.join(workdir, f"{kind.name}.lua")
        Path(scripts[kind.name]).write_text(kind.lua + wrk.DONE_LUA)

    bare_cmd = bare_command(ports["bare"])
    procs["iris"] = spawn_server([sys.executable, "-m", "iris", "serve"], env, cwd=workdir)
    procs["bare"] = spawn_server(bare_cmd, clean_env(), cwd=workdir)
    procs["bare-sync"] = spawn_server(bare_command(ports["bare-sync"], sync=True), clean_env(), cwd=workdir)
    for server, proc in procs.items():
        wait_until_serving(ports[server], proc)
    urls = {server: f"http://127.0.0.1:{port}" for server, port in ports.items()}
    notes = check(urls["bare"], urls["iris"], secret, first)
    masters = {server: proc.pid for server, proc in procs.items()}
    for master in masters.values():  # every worker booted
        deadline = time.time() + 30
        while len(wrk.worker_pids(master)) < WORKERS and time.time() < deadline:
            time.sleep(0.2)
    idle = {server: wrk.rss_now(pid) for server, pid in masters.items()}
    for server, master in masters.items():  # for a profiler: py-spy record --pid <worker>
        print(f"{server}: gunicorn master {master}, workers {sorted(idle[server])}", file=sys.stderr)

    loads = [wrk.load_average()]
    results = {kind.name: measure(kind, urls, scripts[kind.name], secret, masters, url) for kind in kinds_run}
    loads.append(wrk.load_average())
    metrics = requests.get(f"{urls['iris']}/metrics", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    if metrics.status_code != 200 or "iris_http_requests_total" not in metrics.text:
        notes.append(f"GET /metrics answered {metrics.status_code} without iris_http_requests_total")

    iris_profile = env["IRIS_ENV"]
    if iris_profile != "prod":
        notes.append("IRIS_ENV=test: BENCH_DATABASE_URL's password is a placeholder that prod refuses")
    postgres = query(url, "SHOW server_version")[0]
    return "\n".join(
        [
            f"{wrk.machine()}; PostgreSQL {postgres}; {source_state()}; {TICKETS:,} tickets; "
            f"{ROUNDS} rounds of {SECONDS} s (warm-up {WARMUP_SECONDS} s a server and kind); "
            f"wrk -t{wrk.THREADS} -c{wrk.CONNECTIONS}; {WORKERS} gunicorn gevent workers each; "
            f"load average {' → '.join(loads)}",
            f"iris: IRIS_ENV={iris_profile}, IRIS_AUTH=required (a token on every request), rate limits on "
            f"({RATE_LIMIT} a class), JSON logs at INFO to a file, metrics on, IRIS_REQUIRE_IF_MATCH default",
            "",
            *summary_table(results, by_name),
            "",
            *runs_table(results, by_name),
            "",
            *rss_table(results, idle),
            "",
            server_log_summary(procs["iris"].log_path),
            *(f"note: {note}" for note in notes),
            "",
            *commands(kinds_run, urls, env, bare_cmd),
        ]
    )


def main() -> int:
    if shutil.which("wrk") is None:
        sys.exit("throughput: wrk not found (Debian: apt-get install wrk)")
    only()  # a typo in BENCH_ONLY stops here, before anything is created
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` cleans up on kill too
    admin = make_url(ADMIN_URL).set(drivername="postgresql+psycopg2")
    name = f"iris_bench_throughput_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    procs: dict[str, subprocess.Popen] = {}
    files: list[str] = []
    keep_logs = False
    with admin_engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        print(run(admin.set(database=name), files, procs))
        return 0
    except BaseException as exc:
        traceback.print_exc()
        if isinstance(exc, subprocess.CalledProcessError):
            print(f"{' '.join(exc.cmd)}:\n{exc.stdout}{exc.stderr}", file=sys.stderr)
        keep_logs = True
        for server, proc in procs.items():
            print(f"{server}'s log: {proc.log_path}", file=sys.stderr)
        return 1
    finally:
        for proc in procs.values():
            stop(proc)
            if not keep_logs:
                Path(proc.log_path).unlink(missing_ok=True)
        with admin_engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin_engine.dispose()
        for path in files:
            shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
