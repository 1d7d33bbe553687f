"""Latency of GET /tickets at 10,000 and 1,000,000 tickets, over HTTP through gunicorn (`iris serve`).

Run by hand: `make bench` (about 20 minutes; it seeds a million tickets twice, with BENCH_VOCABULARY=growing
and =fixed). It writes docs/performance-results-growing.md and docs/performance-results.md (fixed):
p50/p99 per query and size, and the EXPLAIN (ANALYZE) plan of each
query at the largest size. Each size is a throwaway database of its own on the embedded PostgreSQL
(or BENCH_DATABASE_URL's server), served side by side so that the sizes take turns request by
request; load goes to 127.0.0.1 only, a bounded number of requests per query.
"""

import itertools
import os
import random
import re
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote_plus

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from iris import migrate  # noqa: E402
from iris.api import cursor  # noqa: E402
from iris.repositories.ticket_list import SortKey, TicketFilter, listing_query  # noqa: E402
from iris.seed import seed  # noqa: E402
from iris.seed_words import CONTENT  # noqa: E402
from iris.seed_words import VOCABULARY as VOCABULARY_LIST  # noqa: E402
from iris.timeparse import parse_iso8601  # noqa: E402
from tests.support import free_port, spawn_server, stop, wait_until_serving  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "10000,1000000").split(",")]
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
# fixed: every word from one list (search's worst case); growing: plus the terms real text keeps adding
# (iris/seed_terms.py), and a known-item search then names one of the ticket's own terms.
VOCABULARY = os.environ.get("BENCH_VOCABULARY", "growing")
WARMUP = 20
CONTENT_SET = frozenset(CONTENT)
VOCABULARY_WORDS = frozenset(VOCABULARY_LIST)


def known_item_searches(engine, rng: random.Random, count: int) -> list[str]:
    """Three distinct content words of a random ticket's title and description: someone looking
    for a ticket they remember (with the growing vocabulary, one of the three is a term of its own, an
    error code or a host name, as people remember). Sampled before timing; every one matches a ticket."""
    searches = []
    with engine.connect() as conn:
        last = conn.execute(text("SELECT max(ticket_id) FROM tickets")).scalar()
        while len(searches) < count:
            row = conn.execute(
                text("SELECT title, description FROM tickets WHERE ticket_id = :i"), {"i": rng.randint(1, last)}
            ).first()
            words = (
                sorted({w for w in re.findall(r"[a-z]+", f"{row.title} {row.description}".lower()) if w in CONTENT_SET})
                if row
                else []
            )
            text_words = f"{row.title} {row.description}".split() if row else []
            own = sorted({w.rstrip(".") for w in text_words if _is_term(w)})
            if VOCABULARY == "growing" and own and len(words) >= 2:
                searches.append(" ".join([*rng.sample(words, 2), rng.choice(own)]))
            elif VOCABULARY != "growing" and len(words) >= 3:
                searches.append(" ".join(rng.sample(words, 3)))
    return searches


def _is_term(word: str) -> bool:
    """A term of iris/seed_terms.py's: they all carry digits; of the fixed vocabulary's words only `auth0` does."""
    return any(c.isdigit() for c in word) and word.rstrip(".").lower() not in VOCABULARY_WORDS


def common_word_searches(rng: random.Random, count: int) -> list[str]:
    """The worst case: three of the 15 most frequent content words (each in roughly a fifth of all tickets)."""
    return [" ".join(rng.sample(CONTENT[:15], 3)) for _ in range(count)]


def queries(deep_id: int, rng: random.Random, engine):
    deep = cursor.encode("ticket_id", [deep_id])
    count = REQUESTS + WARMUP
    known, common = known_item_searches(engine, rng, count), common_word_searches(rng, count)
    ranked = [SortKey("rank", True), SortKey("ticket_id")]
    return {
        "plain first page": (lambda: "/tickets", TicketFilter(), [SortKey("ticket_id")]),
        "deep page (cursor)": (lambda: f"/tickets?cursor={deep}", TicketFilter(), [SortKey("ticket_id")], [deep_id]),
        "status + assignee": (
            lambda: "/tickets?status=Open&assignee=ann",
            TicketFilter(statuses=["Open"], assignees=["ann"]),
            [SortKey("ticket_id")],
        ),
        "due range (one month)": (
            lambda: "/tickets?due_after=2026-03-01&due_before=2026-04-01",
            TicketFilter(due_after=parse_iso8601("2026-03-01"), due_before=parse_iso8601("2026-04-01")),
            [SortKey("ticket_id")],
        ),
        "3-word search (known item)": (_cycle("/tickets?q=", known), TicketFilter(q=known[0]), ranked),
        "3-word search (3 common words)": (_cycle("/tickets?q=", common), TicketFilter(q=common[0]), ranked),
        "sorted by due": (lambda: "/tickets?sort=due", TicketFilter(), [SortKey("due"), SortKey("ticket_id")]),
    }


def _cycle(prefix: str, searches: list[str]):
    upcoming = itertools.cycle(searches)
    return lambda: prefix + quote_plus(next(upcoming))


def measure(bases: list[str], make_paths: list) -> list[tuple[float, float, str]]:
    """p50 and p99 latency in ms, and the median X-Total-Count (or "skipped"), per server.

    The servers take turns request by request, so whatever else the machine does meanwhile falls on
    every size alike and the ratio between them is not skewed by when each was measured."""
    session = requests.Session()
    for _ in range(WARMUP):
        for base, make_path in zip(bases, make_paths, strict=True):
            session.get(base + make_path(), timeout=30)
    times: list[list[float]] = [[] for _ in bases]
    totals: list[list[int]] = [[] for _ in bases]
    for _ in range(REQUESTS):
        for i, (base, make_path) in enumerate(zip(bases, make_paths, strict=True)):
            started = time.perf_counter()
            response = session.get(base + make_path(), timeout=30)
            times[i].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
            totals[i].append(int(response.headers.get("X-Total-Count", -1)))
    return [_summary(t, n) for t, n in zip(times, totals, strict=True)]


def _summary(times: list[float], totals: list[int]) -> tuple[float, float, str]:
    times = sorted(times)
    total = statistics.median(totals)
    return statistics.median(times), times[int(len(times) * 0.99) - 1], "skipped" if total < 0 else f"{total:,.0f}"


def explain(engine, f, keys, after=None) -> str:
    query = listing_query(f, keys, after, 51)
    compiled = query.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {compiled}", compiled.params).all()
    return "\n".join(r[0] for r in rows)


def settle(engine) -> None:
    """Leave nothing of the load running while timing: autovacuum of the tables the seed filled and
    the checkpoint of a million freshly written rows would otherwise land in the larger size's
    measurements only (and skew every ratio)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        try:
            conn.execute(text("CHECKPOINT"))
        except ProgrammingError:  # a role without pg_checkpoint still gets a run, a noisier one
            print("CHECKPOINT not allowed for this role; the timings may include its writes", file=sys.stderr)


def main() -> None:
    raw = os.environ.get("BENCH_DATABASE_URL")
    if raw:
        admin, server = make_url(raw).set(drivername="postgresql+psycopg2"), None
    else:
        from iris.embedded import server_url, start

        server = start(ROOT / ".iris" / "bench")
        admin = server_url(server)
    admin_engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    run = uuid.uuid4().hex[:8]
    names = [f"iris_bench_{run}_{size}" for size in SIZES]
    engines, procs, results, plans = [], [], {}, {}
    try:
        for size, name in zip(SIZES, names, strict=True):  # one database per size, all served at once (see measure)
            with admin_engine.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            url = admin.set(database=name)
            migrate.upgrade(url)
            engines.append(create_engine(url))
            started = time.perf_counter()
            seed(engines[-1], size, comments_per_ticket=1, seed_value=size, vocabulary=VOCABULARY)
            results[("seed", size)] = time.perf_counter() - started
            print(f"{size:,} tickets seeded in {results[('seed', size)]:.0f} s", file=sys.stderr)
        for engine in engines:
            settle(engine)
        ports = [free_port() for _ in SIZES]
        for engine, port in zip(engines, ports, strict=True):
            procs.append(serve(engine.url, port))
        for proc, port in zip(procs, ports, strict=True):
            wait_until_serving(port, proc)
        specs = [
            queries(int(size * 0.9), random.Random(7), engine) for size, engine in zip(SIZES, engines, strict=True)
        ]
        for label in specs[0]:
            measured = measure([f"http://127.0.0.1:{port}" for port in ports], [spec[label][0] for spec in specs])
            for size, result in zip(SIZES, measured, strict=True):
                results[(label, size)] = result
            largest = specs[-1][label]
            plans[label] = (f"-- q={largest[1].q!r}\n" if largest[1].q else "") + explain(engines[-1], *largest[1:])
    finally:
        for proc in procs:
            stop(proc)
        for engine in engines:
            engine.dispose()
        with admin_engine.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin_engine.dispose()
    write_report(results, plans, "embedded PostgreSQL 16" if server else "BENCH_DATABASE_URL")


def serve(url, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url.render_as_string(hide_password=False),
        "IRIS_ENV": "prod" if url.password else "test",
        "IRIS_HOST": "127.0.0.1",
        "IRIS_PORT": str(port),
        "IRIS_LOG_LEVEL": "WARNING",
    }
    return spawn_server([sys.executable, "-m", "iris", "serve", "--workers", "2"], env)


def write_report(results, plans, where: str) -> None:
    small, large = SIZES[0], SIZES[-1]
    lines = [
        f"| query | p50 @ {small:,} | p99 @ {small:,} | p50 @ {large:,} | p99 @ {large:,} | p50 ratio "
        f"| median matches @ {small:,} / {large:,} |",
        "|---|---|---|---|---|---|---|",
    ]
    for label in plans:
        (p50s, p99s, totals), (p50l, p99l, totall) = results[(label, small)], results[(label, large)]
        lines.append(
            f"| {label} | {p50s:.1f} ms | {p99s:.1f} ms | {p50l:.1f} ms | {p99l:.1f} ms "
            f"| {p50l / p50s:.2f}× | {totals} / {totall} |"
        )
    table = "\n".join(lines)
    explained = "\n\n".join(f"### {label}\n\n```\n{plan}\n```" for label, plan in plans.items())
    seeds = ", ".join(f"{size:,} tickets in {results[('seed', size)]:.0f} s" for size in SIZES)
    name = "performance-results.md" if VOCABULARY == "fixed" else f"performance-results-{VOCABULARY}.md"
    out = ROOT / "docs" / name
    out.write_text(
        f"# GET /tickets benchmark results ({VOCABULARY} vocabulary)\n\n"
        f"Written by `make bench` on {time.strftime('%Y-%m-%d')} ({where}, "
        f"{os.cpu_count()} cores, {REQUESTS} requests per query and size, the sizes taking turns, "
        "each through its own gunicorn with 2 workers).\n\n"
        f"Seeding (iris seed, each size into its own database): {seeds}.\n\n{table}\n\n"
        f"## Plans at {large:,} tickets (EXPLAIN ANALYZE)\n\n{explained}\n"
    )
    print(table)


if __name__ == "__main__":
    main()
