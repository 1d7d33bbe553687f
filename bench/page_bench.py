"""The web pages beside the API calls that fetch the same data, side by side in one run (#25): `make bench-pages`.

One `iris serve` (2 gevent workers) set up as bench/throughput.py sets it up: IRIS_ENV=prod, IRIS_AUTH=required,
a random IRIS_SECRET_KEY, rate limits on but never reached, JSON logs at INFO. A throwaway database on the
system PostgreSQL (BENCH_DATABASE_URL) is migrated and seeded (BENCH_TICKETS, 10,000, 3 comments a ticket on
average). The agent `pagebench` gets a password and a token, and through the API gives each of the first
HISTORY_TICKETS tickets three history entries (a title, a description, a comment). Then it signs in as a browser
does: GET /sign-in for the CSRF token and cookie, POST /sign-in, the session's cookie from the 303.

wrk (-t2 -c8, BENCH_SECONDS each, after BENCH_WARMUP_SECONDS each; BENCH_ROUNDS rounds, the order reversing every
round) loads, in turn: `GET /`, the board (cookie); `GET /tickets?status=<S>&sort=-ticket_id&limit=25` for each
status of the default workflow (token), what the board's columns show; `GET /ticket/{id}` (cookie); and
`GET /tickets/{id}` and `GET /tickets/{id}/history` (token), the ids walking over the tickets with a history.
Each API path is a wrk run of its own; bench/page_report.py sets each page beside the calls it replaces. Any
socket error or non-2xx answer fails the run; the database is dropped and the server stopped whatever happens.
"""

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import scratch, wrk  # noqa: E402
from bench.page_report import commands, comparison_table, variant_table  # noqa: E402
from bench.throughput import iris, iris_env, meters, query, server_log_summary, source_state  # noqa: E402
from tests.support import free_port, spawn_server, wait_until_serving  # noqa: E402

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
TICKETS = int(os.environ.get("BENCH_TICKETS", "10000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
WARMUP_SECONDS = min(int(os.environ.get("BENCH_WARMUP_SECONDS", "3")), SECONDS)
HISTORY_TICKETS = 300
USER = "pagebench"  # `iris seed` already made ann, bob, ... (inactive reporters)
PER_COLUMN = 25  # iris/web/board.py's PER_COLUMN
STATUSES = "SELECT array_agg(name ORDER BY position) FROM workflow_statuses WHERE workflow = 'default'"
# wrk.DONE_LUA's line, and one more: the mean latency (µs) and the bytes received.
DONE_LUA = wrk.DONE_LUA.replace(
    "end\n", '  io.write(string.format("MORE %d %d\\n", latency.mean, summary.bytes))\nend\n'
)
MORE_LINE = re.compile(r"^MORE (\d+) (\d+)$", re.MULTILINE)
ROTATE_LUA = """
local first, last = {first}, {last}
local next_id = first
request = function()
  local path = "{prefix}" .. next_id .. "{suffix}"
  next_id = next_id < last and next_id + 1 or first
  return wrk.format("GET", path)
end
"""


@dataclass(frozen=True)
class Variant:
    name: str
    shown: str  # the path as the report shows it
    path: str  # with a rotating script, its first ticket's (the one check() fetches)
    lua: str
    cookie: bool  # sent with the session's cookie, else with the token


def variants(statuses: list[str], first: int, last: int) -> list[Variant]:
    def rotate(prefix: str, suffix: str = "") -> str:
        lua = ROTATE_LUA.replace("{first}", str(first)).replace("{last}", str(last))
        return lua.replace("{prefix}", prefix).replace("{suffix}", suffix)

    lists = [Variant(f"list {s}", list_path(s), list_path(s), "", False) for s in statuses]
    history = Variant(
        "history", "/tickets/{id}/history", f"/tickets/{first}/history", rotate("/tickets/", "/history"), False
    )
    return [
        Variant("board", "/ (the board)", "/", "", True),
        *lists,
        Variant("page", "/ticket/{id}", f"/ticket/{first}", rotate("/ticket/"), True),
        Variant("get", "/tickets/{id}", f"/tickets/{first}", rotate("/tickets/"), False),
        history,
    ]


def comparisons(statuses: list[str]) -> list[tuple[str, tuple[str, ...], str]]:
    """(page, the API calls it is compared with, label)."""
    lists = tuple(f"list {s}" for s in statuses)
    return [
        ("board", lists, f"board vs its {len(lists)} list calls, one a status"),
        ("board", lists[:1], f"board vs one list call (status={statuses[0]})"),
        ("page", ("get", "history"), "ticket page vs `GET /tickets/{id}` + `GET /tickets/{id}/history`"),
    ]


def list_path(status: str) -> str:
    return f"/tickets?status={quote(status)}&sort=-ticket_id&limit={PER_COLUMN}"


def prepare(env: dict, cwd: str, password: str) -> str:
    """Migrate, seed, make the agent with its password and token; the token's secret."""
    iris(env, cwd, "db", "upgrade")
    iris(env, cwd, "seed", "--tickets", str(TICKETS), "--comments-per-ticket", "3")
    iris(env, cwd, "users", "create", USER, "--role", "agent")
    command = [sys.executable, "-m", "iris", "users", "set-password", USER, "--stdin"]
    done = subprocess.run(command, input=password + "\n", env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, command[2:], done.stdout, done.stderr)
    return json.loads(iris(env, cwd, "tokens", "issue", USER, "--name", "page-bench"))["secret"]


def give_history(base: str, token: str, first: int, last: int) -> None:
    """Three journal entries a ticket, through the API: a new title, a new description, a comment."""
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        for ticket_id in range(first, last + 1):
            url = f"{base}/tickets/{ticket_id}"
            etag = expect(http.get(url, timeout=10), 200).headers["ETag"]
            title = {"title": f"Ticket {ticket_id}, looked at"}
            etag = expect(http.patch(url, json=title, headers={"If-Match": etag}, timeout=10), 200).headers["ETag"]
            text = {"description": "Steps to reproduce: open the board, wait."}
            expect(http.patch(url, json=text, headers={"If-Match": etag}, timeout=10), 200)
            expect(http.post(f"{url}/comments", json={"body": "Seen it on staging too."}, timeout=10), 201)


def expect(answer: requests.Response, status: int) -> requests.Response:
    if answer.status_code != status:
        what = f"{answer.request.method} {answer.url}: {answer.status_code}, expected {status}"
        raise RuntimeError(f"{what}: {answer.text[:300]}")
    return answer


def sign_in(base: str, password: str) -> str:
    """Sign in as a browser does; the session's cookie as `name=value`. (In prod the cookies are Secure, which
    requests sends over https only, so the Cookie header is written out here.)"""
    with requests.Session() as browser:
        form = expect(browser.get(f"{base}/sign-in", timeout=10), 200)
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        cookies = "; ".join(f"{c.name}={c.value}" for c in form.cookies)
        sent = {"csrf": csrf, "username": USER, "password": password, "next": "/"}
        done = browser.post(
            f"{base}/sign-in", data=sent, headers={"Cookie": cookies}, allow_redirects=False, timeout=10
        )
        session = [f"{c.name}={c.value}" for c in expect(done, 303).cookies if c.name.endswith("iris_session")]
        if not session:
            raise RuntimeError(f"POST /sign-in set no session cookie: {done.headers}")
        return session[0]


def check(base: str, chosen: list[Variant], headers: dict[bool, tuple[str, ...]]) -> dict[str, int]:
    """Every variant answers 200 (and a page without the cookie 303, to sign in); each body's size in bytes."""
    expect(requests.get(f"{base}/", allow_redirects=False, timeout=10), 303)
    sizes = {}
    for v in chosen:
        sent = dict(header.split(": ", 1) for header in headers[v.cookie])
        sizes[v.name] = len(expect(requests.get(base + v.path, headers=sent, timeout=10), 200).content)
    return sizes


def run_wrk(url: str, script: str, headers: tuple[str, ...], seconds: int) -> dict:
    """One wrk run: req/s, p50, p99 and mean in ms, bytes a response; RuntimeError on an error or non-2xx."""
    done = subprocess.run(
        wrk.command(url, script, seconds, headers), capture_output=True, text=True, timeout=seconds + 30
    )
    out = done.stdout + done.stderr
    match, more = wrk.DONE_LINE.search(out), MORE_LINE.search(out)
    if done.returncode != 0 or match is None or more is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{out}")
    count, micros, p50, p99, socket_errors, bad_status = (int(g) for g in match.groups())
    if socket_errors or bad_status:
        raise RuntimeError(f"wrk {url}: {socket_errors} socket errors, {bad_status} non-2xx answers:\n{out}")
    mean, received = (int(g) for g in more.groups())
    times = {"p50": p50 / 1000, "p99": p99 / 1000, "mean": mean / 1000}
    return {"rps": count / (micros / 1e6), **times, "bytes": received / count, "requests": count}


def measure(base: str, chosen: list[Variant], scripts: dict, headers: dict, cpu) -> dict[str, list[dict]]:
    """Warm every variant up, then ROUNDS runs of each, taking turns, the order reversing every round."""
    for v in chosen:
        run_wrk(base + v.path, scripts[v.name], headers[v.cookie], WARMUP_SECONDS)
    runs: dict[str, list[dict]] = {v.name: [] for v in chosen}
    for round_no in range(ROUNDS):
        for v in chosen if round_no % 2 == 0 else chosen[::-1]:
            workers, postgres = cpu()
            with workers, postgres:
                run = run_wrk(base + v.path, scripts[v.name], headers[v.cookie], SECONDS)
            run["cpu_workers"], run["cpu_postgres"] = (m.spent / run["requests"] * 1e6 for m in (workers, postgres))
            run["cpu"] = run["cpu_workers"] + run["cpu_postgres"]  # µs a request
            runs[v.name].append(run)
            line = (
                f"{run['rps']:,.0f} req/s, p50 {run['p50']:.2f} ms, p99 {run['p99']:.2f} ms, CPU {run['cpu']:,.0f} µs"
            )
            print(f"round {round_no + 1}, {v.name}: {line}", file=sys.stderr)
    return runs


def serve(url, workdir: str, files: list[str], procs: list, password: str) -> tuple[str, str, dict]:
    """Prepare the database, start iris; its base URL, the token's secret, the server's environment."""
    port = free_port()
    env = iris_env(url, port, tempfile.mkdtemp(prefix="metrics-", dir=workdir))
    token = prepare(env, workdir, password)
    procs.append(spawn_server([sys.executable, "-m", "iris", "serve"], env, cwd=workdir))
    files.append(procs[-1].log_path)
    wait_until_serving(port, procs[-1])
    return f"http://127.0.0.1:{port}", token, env


def about(url, first: int, last: int, env: dict, loads: list[str]) -> str:
    return (
        f"{wrk.machine()}; PostgreSQL {query(url, 'SHOW server_version')[0]}; {source_state()}; {TICKETS:,} tickets "
        f"(3 comments each on average; tickets {first}–{last} with 3 history entries more); {ROUNDS} rounds of "
        f"{SECONDS} s (warm-up {WARMUP_SECONDS} s each); wrk -t{wrk.THREADS} -c{wrk.CONNECTIONS}; 2 gunicorn gevent "
        f"workers, IRIS_ENV={env['IRIS_ENV']}, IRIS_AUTH=required; load average {' → '.join(loads)}"
    )


def run(url, files: list[str], procs: list) -> str:
    """Prepare, serve, sign in, load; the report."""
    workdir = tempfile.mkdtemp(prefix="iris-pages-")  # no .env or gunicorn.conf.py of the checkout is read
    files.append(workdir)
    password = secrets.token_urlsafe(18)
    base, token, env = serve(url, workdir, files, procs, password)
    statuses, first = query(url, STATUSES)[0], query(url, "SELECT min(ticket_id) FROM tickets")[0]
    last = first + HISTORY_TICKETS - 1
    give_history(base, token, first, last)
    query(url, "VACUUM ANALYZE")  # no autovacuum of the fresh seed while timing
    chosen = variants(statuses, first, last)
    scripts = {v.name: os.path.join(workdir, f"{v.name.replace(' ', '-').lower()}.lua") for v in chosen}
    for v in chosen:
        Path(scripts[v.name]).write_text(v.lua + DONE_LUA)
    cookie = sign_in(base, password)
    headers = {True: (f"Cookie: {cookie}",), False: (f"Authorization: Bearer {token}",)}
    sizes = check(base, chosen, headers)
    print(f"gunicorn master {procs[-1].pid}, workers {wrk.worker_pids(procs[-1].pid)}", file=sys.stderr)
    loads = [wrk.load_average()]
    runs = measure(base, chosen, scripts, headers, lambda: meters(procs[-1].pid, url))
    loads.append(wrk.load_average())
    report = [*comparison_table(runs, comparisons(statuses)), "", *variant_table(chosen, runs, sizes), ""]
    report += [server_log_summary(procs[-1].log_path), ""]
    report += commands(base, chosen, scripts, cookie.split("=", 1)[0], SECONDS, DONE_LUA)
    return "\n".join([about(url, first, last, env, loads), "", *report])


def main() -> int:
    return scratch.main("pages", run)


if __name__ == "__main__":
    sys.exit(main())
