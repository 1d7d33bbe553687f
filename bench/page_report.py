"""The tables bench/page_bench.py prints: each request's figures, and each page beside the API calls it replaces.

A page's latency is set beside the sum of its calls' (what one client fetching them one after another waits),
its req/s beside theirs combined, 1 / Σ(1/req/s) (sets of those calls the server answers a second), and its CPU
time (gunicorn workers + PostgreSQL, µs a request) beside the sum of theirs. Ratios are taken round by round,
the runs of one round being at most a minute or two apart, then their median (and range) is shown.
"""

import shlex
from pathlib import Path
from statistics import median

from bench import wrk

RATIOS = ("by_p50", "by_rps", "by_cpu")


def variant_table(chosen: list, runs: dict, sizes: dict) -> list[str]:
    rows = [
        "| request | sent with | req/s per run (in order) | median req/s | p50 | p99 | mean | KiB an answer "
        "| CPU a request: workers + PostgreSQL |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for v in chosen:
        each = runs[v.name]
        if min(run["bytes"] for run in each) < sizes[v.name] / 2:
            raise RuntimeError(f"{v.name}: answers far shorter than the checked one: redirects, not pages?")
        m = {key: median(run[key] for run in each) for key in each[0]}
        per_run = ", ".join(f"{run['rps']:,.0f}" for run in each)
        rows.append(
            f"| `GET {v.shown}` | {'cookie' if v.cookie else 'token'} | {per_run} | {m['rps']:,.0f} "
            f"| {m['p50']:.2f} ms | {m['p99']:.2f} ms | {m['mean']:.2f} ms | {m['bytes'] / 1024:.1f} "
            f"| {m['cpu_workers']:,.0f} + {m['cpu_postgres']:,.0f} µs |"
        )
    return rows


def per_round(runs: dict, page: str, api: tuple[str, ...]) -> list[dict]:
    """Each round's figures for a page and for the API calls it replaces (sums over the calls), and their ratios."""
    rounds = []
    for r, shown in enumerate(runs[page]):
        calls = [runs[name][r] for name in api]
        sums = {key: sum(call[key] for call in calls) for key in ("p50", "p99", "cpu")}
        sets = 1 / sum(1 / call["rps"] for call in calls)  # sets of the calls answered a second
        ratios = {
            "by_p50": shown["p50"] / sums["p50"],
            "by_rps": sets / shown["rps"],
            "by_cpu": shown["cpu"] / sums["cpu"],
        }
        rounds.append({**{f"page_{k}": shown[k] for k in ("rps", "p50", "p99", "cpu")}, "sets": sets, **sums, **ratios})
    return rounds


def comparison_table(runs: dict, compared: list[tuple[str, tuple[str, ...], str]]) -> list[str]:
    rows = [
        "| page vs API | page req/s | API: sets of calls/s | page p50 | API Σ p50 | page p99 | API Σ p99 | page CPU "
        "| API Σ CPU | page/API, by p50 (range over rounds) | by req/s (range) | by CPU (range) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for page, api, label in compared:
        rs = per_round(runs, page, api)
        m = {key: median(r[key] for r in rs) for key in rs[0]}
        ratio = [f"**{m[k]:.2f}×** ({min(r[k] for r in rs):.2f}–{max(r[k] for r in rs):.2f})" for k in RATIOS]
        rows.append(
            f"| {label} | {m['page_rps']:,.0f} | {m['sets']:,.0f} | {m['page_p50']:.2f} ms | {m['p50']:.2f} ms "
            f"| {m['page_p99']:.2f} ms | {m['p99']:.2f} ms | {m['page_cpu']:,.0f} µs | {m['cpu']:,.0f} µs "
            f"| {' | '.join(ratio)} |"
        )
    return rows


def commands(base: str, chosen: list, scripts: dict, cookie_name: str, seconds: int, done_lua: str) -> list[str]:
    shown = {True: (f"Cookie: {cookie_name}=$SESSION",), False: ("Authorization: Bearer $TOKEN",)}
    lines = ["wrk, each run (the order reverses every round; the warm-up runs are the same, shorter):"]
    for v in chosen:
        lines.append(
            f"  {shlex.join(wrk.command(base + v.path, Path(scripts[v.name]).name, seconds, shown[v.cookie]))}"
        )
    page = next(v for v in chosen if v.name == "page")
    lines.append(f"{Path(scripts['page']).name} (the others walk their own paths, or send one path, with this done):")
    return lines + [f"  {line}" for line in (page.lua + done_lua).strip().splitlines()]
