"""Throughput of GET /tickets/{id} with and without an API token, on one server in one run (issue 22).

Run by hand: `make bench-auth` (about 1.5 minutes). It creates a throwaway database on the system
PostgreSQL (BENCH_DATABASE_URL, by default postgres@127.0.0.1:5432), migrates it, seeds 5,000
tickets, makes an admin and a token with the `iris` command, and serves it with one `iris serve`
(2 workers, IRIS_AUTH=open). `wrk` then loads `GET /tickets/{id}` (ids rotating over all tickets)
from 127.0.0.1, without the token (no lookup: the request acts as `anonymous`) and with it
(`Authorization: Bearer ...`: the token is looked up), taking turns run by run, while the CPU time
of the gunicorn workers and of their PostgreSQL backends is read from /proc. It prints a markdown
table, the with/without ratio and the token check's share of a request, and stops everything it
started and drops the database, whatever happens.
"""

import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import scratch  # noqa: E402
from bench import wrk as wrk_runs  # noqa: E402
from bench.wrk import cpu_seconds  # noqa: E402
from tests.support import clean_env, free_port, spawn_server, url_string, wait_until_serving  # noqa: E402

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
TICKETS = 5000
ROUNDS = int(os.environ.get("BENCH_AUTH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_AUTH_SECONDS", "10"))
WARMUP_SECONDS = 5
CLI_TIMEOUT = 300  # seconds, for each `iris` command (the seed is the slowest, a few seconds)
TARGET_SHARE = 0.10
BACKENDS = (
    "SELECT array_agg(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'iris'"
)
# The two variants take turns; the order flips every round (A B, B A, A B) so a drifting machine favours neither.
ORDERS = [("without", "with"), ("with", "without")]

# Each wrk thread walks the ids in turn; done() prints one machine-readable line (latencies in µs).
LUA = """
local first, last = {first}, {last}
local next_id = first
request = function()
  local path = "/tickets/" .. next_id
  next_id = next_id < last and next_id + 1 or first
  return wrk.format("GET", path)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def iris(env: dict, *args: str) -> str:
    """Run an `iris` command; its stdout, or CalledProcessError with its stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "iris", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=CLI_TIMEOUT
    )
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, ["iris", *args], done.stdout, done.stderr)
    return done.stdout


def prepare(env: dict, url) -> str:
    """Migrate, seed, make an admin and a token; the token's secret."""
    iris(env, "db", "upgrade")
    iris(env, "seed", "--tickets", str(TICKETS))
    iris(env, "users", "create", "bench", "--role", "admin")
    secret = json.loads(iris(env, "tokens", "issue", "bench", "--name", "auth-bench"))["secret"]
    query(url, "VACUUM ANALYZE")  # no autovacuum of the fresh seed while timing
    return secret


def query(url, sql: str):
    """One statement on a connection of its own (autocommit); its first row."""
    with create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT").connect() as conn:
        result = conn.execute(text(sql))
        return result.first() if result.returns_rows else None


def ticket_ids(url) -> tuple[int, int]:
    first, last, count = query(url, "SELECT min(ticket_id), max(ticket_id), count(*) FROM tickets")
    if count != last - first + 1:
        raise RuntimeError(f"ticket ids {first}..{last} have gaps ({count} tickets); the Lua script walks them all")
    return first, last


def check(base: str, secret: str, ticket_id: int) -> None:
    """Both variants answer 200, and the token is really checked (a wrong one answers 401)."""
    path = f"{base}/tickets/{ticket_id}"
    wrong = "Bearer iris_" + "A" * 43  # well-formed, unknown
    for headers, status in [({}, 200), ({"Authorization": f"Bearer {secret}"}, 200), ({"Authorization": wrong}, 401)]:
        got = requests.get(path, headers=headers, timeout=10).status_code
        if got != status:
            raise RuntimeError(f"GET {path} with {sorted(headers) or 'no headers'}: {got}, expected {status}")


def headers_for(secret: str | None) -> tuple[str, ...]:
    return (f"Authorization: Bearer {secret}",) if secret else ()


def wrk_command(url: str, script: str, seconds: int, secret: str | None) -> list[str]:
    return wrk_runs.command(url, script, seconds, headers_for(secret))


def wrk(url: str, script: str, seconds: int, secret: str | None) -> dict:
    """One wrk run (bench/wrk.py): req/s, p50 and p99 in ms; any socket error or non-2xx answer fails the run."""
    return wrk_runs.run(url, script, seconds, headers_for(secret))


class Meters:
    """CPU time of the server's gunicorn workers and of iris's PostgreSQL backends (PostgreSQL on this machine)."""

    def __init__(self, server: subprocess.Popen, url):
        self.server, self.url = server, url

    def pids(self) -> dict[str, list[int]]:
        workers = Path(f"/proc/{self.server.pid}/task/{self.server.pid}/children").read_text().split()
        backends = query(self.url, BACKENDS)[0] or []
        return {"workers": [int(pid) for pid in workers], "postgres": backends}

    def snapshot(self) -> dict[str, dict[int, float]]:
        return {kind: {pid: cpu_seconds(pid) for pid in pids} for kind, pids in self.pids().items()}


def timed(url: str, script: str, secret: str | None, meters: Meters) -> dict:
    """A wrk run, with the CPU time its requests took in the workers and in PostgreSQL (µs per request)."""
    before = meters.snapshot()
    run = wrk(url, script, SECONDS, secret)
    after = meters.snapshot()
    for kind, now in after.items():
        spent = sum(seconds - before[kind].get(pid, 0.0) for pid, seconds in now.items())
        run[kind] = spent / run["requests"] * 1e6
    return run


def measure(url: str, script: str, secret: str, meters: Meters) -> dict[str, list[dict]]:
    """Warm both variants up, then ROUNDS runs of each, taking turns."""
    secrets = {"without": None, "with": secret}
    for variant in ("without", "with"):
        wrk(url, script, WARMUP_SECONDS, secrets[variant])
    runs: dict[str, list[dict]] = {"without": [], "with": []}
    for round_no in range(ROUNDS):
        for variant in ORDERS[round_no % 2]:
            run = timed(url, script, secrets[variant], meters)
            runs[variant].append(run)
            print(
                f"round {round_no + 1}, {variant} token: {run['rps']:.0f} req/s, p50 {run['p50']:.2f} ms, "
                f"CPU {run['workers']:.0f} µs (workers) + {run['postgres']:.0f} µs (PostgreSQL) a request",
                file=sys.stderr,
            )
    return runs


def summary(runs: list[dict]) -> dict:
    return {key: statistics.median(run[key] for run in runs) for key in ("rps", "p50", "p99", "workers", "postgres")}


def report(runs: dict[str, list[dict]], url: str) -> str:
    rows = [
        "| variant | req/s per run | median req/s | median p50 | median p99 | CPU a request: workers + PostgreSQL |",
        "|---|---|---|---|---|---|",
    ]
    med = {variant: summary(runs[variant]) for variant in ("without", "with")}
    for variant, label in [("without", "no token (IRIS_AUTH=open)"), ("with", "`Authorization: Bearer …`")]:
        each, m = ", ".join(f"{run['rps']:.0f}" for run in runs[variant]), med[variant]
        rows.append(
            f"| {label} | {each} | {m['rps']:.0f} | {m['p50']:.2f} ms | {m['p99']:.2f} ms "
            f"| {m['workers']:.0f} + {m['postgres']:.0f} µs |"
        )
    ratio = med["with"]["rps"] / med["without"]["rps"]
    share = 1 - ratio  # (1/rps_with - 1/rps_without) / (1/rps_with): the check's part of a token request
    cpu = {variant: med[variant]["workers"] + med[variant]["postgres"] for variant in med}
    verdict = "met" if share < TARGET_SHARE else "**not met**"
    return "\n".join(
        [
            *rows,
            "",
            f"with/without throughput ratio: {ratio:.3f}; the token check's share of a request: {share:.1%} by "
            f"throughput, {1 - cpu['without'] / cpu['with']:.1%} by CPU time (target under {TARGET_SHARE:.0%}: "
            f"{verdict})",
            "",
            "commands (each run; the order flips every round):",
            f"  {shlex.join(wrk_command(url, 'ids.lua', SECONDS, None))}",
            f"  {shlex.join(wrk_command(url, 'ids.lua', SECONDS, '$TOKEN'))}",
        ]
    )


def machine(url) -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "unknown"
    )
    return (
        f"{time.strftime('%Y-%m-%d')}: {os.cpu_count()} CPUs ({cpu}), "
        f"PostgreSQL {query(url, 'SHOW server_version')[0]}, {TICKETS:,} tickets, "
        f"{ROUNDS} rounds of {SECONDS} s"
    )


def server_env(url, port: int) -> dict:
    return clean_env(
        DATABASE_URL=url_string(url),
        IRIS_ENV="test",
        IRIS_AUTH="open",
        IRIS_HOST="127.0.0.1",
        IRIS_PORT=str(port),
        IRIS_WORKERS="2",
        IRIS_LOG_LEVEL="WARNING",
    )


def run(url, files: list[str], procs: list) -> str:
    """Prepare the database, serve it, load it; the report."""
    port = free_port()
    env = server_env(url, port)
    secret = prepare(env, url)
    first, last = ticket_ids(url)
    with tempfile.NamedTemporaryFile("w", prefix="iris-auth-bench-", suffix=".lua", delete=False) as script:
        script.write(LUA.replace("{first}", str(first)).replace("{last}", str(last)))
    files.append(script.name)
    procs.append(spawn_server([sys.executable, "-m", "iris", "serve"], env, cwd=ROOT))
    files.append(procs[-1].log_path)
    wait_until_serving(port, procs[-1])
    base = f"http://127.0.0.1:{port}"
    check(base, secret, first)
    loads = [" ".join(Path("/proc/loadavg").read_text().split()[:3])]
    runs = measure(f"{base}/tickets/{first}", script.name, secret, Meters(procs[-1], url))
    loads.append(" ".join(Path("/proc/loadavg").read_text().split()[:3]))
    return f"{machine(url)}, load average {' → '.join(loads)}\n\n{report(runs, f'{base}/tickets/{first}')}"


def main() -> int:
    return scratch.main("auth", run)


if __name__ == "__main__":
    sys.exit(main())
