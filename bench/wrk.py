"""Helpers for benchmarks that load a server with wrk from 127.0.0.1 (bench/throughput.py).

- `DONE_LUA`: a wrk `done()` that prints one machine-readable line; append it to every script.
- `command()` / `run()`: one bounded wrk run; any socket error or non-2xx answer (wrk counts status > 399)
  fails it.
- `RssSampler`: the largest VmRSS of each worker of a gunicorn master while a run goes on.
- `machine()`: date, CPU model and count, load average.
"""

import os
import re
import subprocess
import threading
import time
from pathlib import Path

THREADS, CONNECTIONS = 2, 8

# Latencies in µs; errors split into socket errors (connect, read, write, timeout) and bad statuses.
DONE_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""
DONE_LINE = re.compile(r"^BENCH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", re.MULTILINE)


def command(url: str, script: str, seconds: int, headers: tuple[str, ...] = ()) -> list[str]:
    header_args = [arg for header in headers for arg in ("-H", header)]
    return ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", script, *header_args, url]


def run(url: str, script: str, seconds: int, headers: tuple[str, ...] = ()) -> dict:
    """One wrk run: req/s, p50 and p99 in ms, the request count; RuntimeError on any error or non-2xx answer."""
    done = subprocess.run(command(url, script, seconds, headers), capture_output=True, text=True, timeout=seconds + 30)
    out = done.stdout + done.stderr
    match = DONE_LINE.search(out)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{out}")
    count, micros, p50, p99, socket_errors, bad_status = (int(g) for g in match.groups())
    if socket_errors or bad_status:
        raise RuntimeError(f"wrk {url}: {socket_errors} socket errors, {bad_status} non-2xx answers:\n{out}")
    return {"rps": count / (micros / 1e6), "p50": p50 / 1000, "p99": p99 / 1000, "requests": count}


def worker_pids(master: int) -> list[int]:
    """The children of a gunicorn master (its workers); none once it is gone."""
    try:
        return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


def rss_mib(pid: int) -> float | None:
    """A process's resident set (VmRSS) in MiB; None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class CpuMeter:
    """CPU time that processes spent during a block, per request: `pids()` names them (read at both ends)."""

    def __init__(self, pids):
        self.pids = pids

    def __enter__(self) -> "CpuMeter":
        self.before = {pid: cpu_seconds(pid) for pid in self.pids()}
        return self

    def __exit__(self, *exc) -> None:
        self.spent = sum(cpu_seconds(pid) - self.before.get(pid, 0.0) for pid in self.pids())


def rss_now(master: int) -> dict[int, float]:
    return {pid: rss for pid in worker_pids(master) if (rss := rss_mib(pid)) is not None}


class RssSampler:
    """`with RssSampler(master) as rss: ...`; then `rss.peak` maps each worker pid to its largest VmRSS (MiB)."""

    def __init__(self, master: int, every: float = 0.25):
        self.master, self.every = master, every
        self.peak: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            for pid, rss in rss_now(self.master).items():
                self.peak[pid] = max(rss, self.peak.get(pid, 0.0))
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "unknown"
    )
    return f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} CPUs ({cpu})"
