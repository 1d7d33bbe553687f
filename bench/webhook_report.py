"""The tables bench/webhook_latency.py prints: B (webhooks on) and C (outbox only) beside A (without), per kind of
write; every run; B's deliveries; where the CPU went.

Ratios are taken within each round (the three runs of a round are a minute or so apart; this machine's speed
drifts), then their median and range are shown. The issue's target: B's latency within 10% of A's, read here as
B/A ≤ 1.10 for p50, p90 and p99 (and, for throughput, B/A ≥ 0.90 in req/s).
"""

from statistics import median

KEYS = ("p50", "p90", "p99", "rps")
TARGET = 0.10


def ratios(runs: dict, key: str, name: str) -> list[float]:
    return [b[key] / a[key] for a, b in zip(runs["A"], runs[name], strict=True)]


def shown(values: list[float]) -> str:
    return f"**{median(values):.2f}×** ({min(values):.2f}–{max(values):.2f})"


def met(values: list[float], key: str) -> bool:
    m = median(values)
    return m >= 1 - TARGET if key == "rps" else m <= 1 + TARGET


def summary_table(chosen: list, runs: dict) -> list[str]:
    rows = [
        "| write | B/A p50 | B/A p90 | B/A p99 | B/A req/s | within 10%? | C/A p50 | C/A p90 | C/A p99 | C/A req/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind in chosen:
        r = runs[kind.name]
        b = [shown(ratios(r, key, "B")) for key in KEYS]
        c = [shown(ratios(r, key, "C")) for key in KEYS]
        misses = [key for key in KEYS if not met(ratios(r, key, "B"), key)]
        verdict = "yes" if not misses else f"**no** ({', '.join(misses)})"
        rows.append(f"| {kind.label} | {' | '.join(b)} | {verdict} | {' | '.join(c)} |")
    return rows


def medians_table(chosen: list, runs: dict, labels: dict) -> list[str]:
    rows = [
        "| write | server | req/s per run (in order) | median req/s | p50 | p90 | p99 | mean "
        "| CPU a write: gunicorn + PostgreSQL (+ worker + receiver) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind in chosen:
        for name, each in runs[kind.name].items():
            m = {key: median(run[key] for run in each) for key in ("rps", "p50", "p90", "p99", "mean")}
            per_run = ", ".join(f"{run['rps']:,.0f}" for run in each)
            rows.append(
                f"| {kind.label} | {labels[name]} | {per_run} | {m['rps']:,.0f} | {m['p50']:.2f} ms "
                f"| {m['p90']:.2f} ms | {m['p99']:.2f} ms | {m['mean']:.2f} ms | {cpu_a_write(each)} |"
            )
    return rows


def cpu_a_write(each: list[dict]) -> str:
    """Median µs a write; for B the worker's and receiver's include what they spent draining after the run."""

    def per(run: dict, key: str) -> float:
        spent = run["cpu"][key]
        if "b" in run and key in ("worker", "receiver", "postgres"):
            spent += run["b"][f"{key}_cpu_drain"]
        return spent / run["requests"] * 1e6

    text = f"{median(per(r, 'gunicorn') for r in each):,.0f} + {median(per(r, 'postgres') for r in each):,.0f}"
    if "b" in each[0]:
        text += f" (+ {median(per(r, 'worker') for r in each):,.0f} + {median(per(r, 'receiver') for r in each):,.0f})"
    return text + " µs"


def runs_table(chosen: list, runs: dict, rounds: int, order) -> list[str]:
    rows = [
        "| round | write | server | req/s | p50 | p90 | p99 | CPU s: gunicorn / PostgreSQL / worker / receiver "
        "| other CPU s (rest of the machine) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for round_no in range(rounds):
        for kind in chosen:
            for name in order(round_no):
                run = runs[kind.name][name][round_no]
                c = run["cpu"]
                rows.append(
                    f"| {round_no + 1} | {kind.name} | {name} | {run['rps']:,.0f} | {run['p50']:.2f} "
                    f"| {run['p90']:.2f} | {run['p99']:.2f} | {c['gunicorn']:.1f} / {c['postgres']:.1f} "
                    f"/ {c['worker']:.1f} / {c['receiver']:.1f} | {c['other']:.1f} |"
                )
    return rows


def deliveries_table(chosen: list, runs: dict) -> list[str]:
    rows = [
        "| round | write | writes | deliveries made by the run's end | delivered by the run's end | backlog then "
        "(pending deliveries + jobs) | drained after | delivered in all (failed) | receiver got "
        "| worker CPU: run + drain | worker CPU a write |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind in chosen:
        for round_no, run in enumerate(runs[kind.name]["B"]):
            b = run["b"]
            worker = run["cpu"]["worker"] + b["worker_cpu_drain"]
            rows.append(
                f"| {round_no + 1} | {kind.name} | {b['writes']:,} | {b['made_by_end']:,} | {b['delivered_by_end']:,} "
                f"({b['delivered_by_end'] / b['writes']:.0%}) | {b['backlog_at_end']:,} | {drained(b['drain_s'])} "
                f"| {b['delivered']:,} ({b['failed']}) | {b['received']:,} | {run['cpu']['worker']:.1f} + "
                f"{b['worker_cpu_drain']:.1f} s | {worker / b['writes'] * 1e6:,.0f} µs |"
            )
    return rows


def drained(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds >= 0 else "**not drained**"


def report(about: dict, chosen: list, runs: dict, after: dict, commands: list[str], labels: dict, order) -> str:
    """`order(round_no)`: the servers in the order that round ran them."""
    head = (
        f"{about['machine']}; PostgreSQL {about['postgres']} (synchronous_commit "
        f"{about.get('synchronous_commit', '?')}, autovacuum {about.get('autovacuum', '?')}"
        f"{'; B: VACUUM ANALYZE of the job queue after each drain' if about.get('vacuum_queue') else ''}); "
        f"{about['source']} (B, C); A at {about['base']}; "
        f"{about['tickets']:,} tickets seeded through the API; {about['rounds']} rounds of {about['seconds']} s "
        f"(warm-up {about['warmup']} s each); {about['wrk']}; 2 gunicorn gevent workers each; IRIS_ENV=test, "
        f"IRIS_AUTH=open; load average {' → '.join(about['loads'])}; timed part {about['minutes']:.1f} min"
    )
    ends = [
        f"- {labels[name]}: {a['tickets']:,} tickets, {a['comments']:,} comments at the end"
        + (f", {a['jobs']:,} rows in procrastinate_jobs" if a["jobs"] is not None else "")
        + f"; server log {a['log']}"
        + (f"; worker log {a['worker_log']}" if "worker_log" in a else "")
        for name, a in after.items()
    ]
    scans = [
        "| server | table | seq scans | rows read by seq scans | index scans | rows written | rows now |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| {name} | {t} | {seq:,} | {read:,} | {idx:,} | {written:,} | {live:,} |"
            for name, a in after.items()
            for t, seq, read, idx, written, live in a["scans"]
        ),
    ]
    busy = after["B"].get("busy", [])
    total = after["B"].get("busy_total") or 1
    sampled = [
        "| share of the samples | statement (whitespace folded, first 160 characters) |",
        "|---|---|",
        *(f"| {n / total:.0%} ({n:,}) | `{statement.replace('|', '¦')}` |" for statement, n in busy),
    ]
    return "\n".join(
        [
            head,
            "",
            "Ratios to A, per round, median (range):",
            "",
            *summary_table(chosen, runs),
            "",
            *medians_table(chosen, runs, labels),
            "",
            "B's deliveries (the worker delivers while the load runs; the bench waits for it to drain after each run):",
            "",
            *deliveries_table(chosen, runs),
            "",
            "Every run, in order:",
            "",
            *runs_table(chosen, runs, about["rounds"], order),
            "",
            *ends,
            "",
            "Each database's tables most read by sequential scans over the whole run (pg_stat_user_tables):",
            "",
            *scans,
            "",
            "B's database while the worker drained (active statements of the other backends, sampled every ~0.1 s):",
            "",
            *sampled,
            "",
            "Commands:",
            "",
            "```",
            *commands,
            "```",
        ]
    )
