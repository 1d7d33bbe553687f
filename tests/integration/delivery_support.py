"""A real webhook receiver and a real `iris worker` process, for the delivery tests."""

import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Optional

from sqlalchemy.engine import URL

from iris.outbound.signing import verify
from tests.support import clean_env

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "a test key that is long enough to seal webhook secrets"
WEBHOOK_SECRET = "a receiver's shared secret"


@dataclass
class Received:
    delivery_id: str
    event: str
    signature: str
    body: bytes

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST and answers what `answers` says (default 200).

    `log` keeps every request as it came; `seen` is the receiving application's log, de-duplicated by the
    Iris-Delivery id, as a receiver is told to do."""

    answers: list[int] = field(default_factory=list)  # statuses to answer first, in order; then 200
    delay_s: float = 0.0
    log: list[Received] = field(default_factory=list)
    seen: dict[str, Received] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                got = Received(
                    self.headers.get("Iris-Delivery", ""),
                    self.headers.get("Iris-Event", ""),
                    self.headers.get("Iris-Signature", ""),
                    body,
                )
                status = receiver.take(got)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def take(self, got: Received) -> int:
        time.sleep(self.delay_s)
        with self.lock:
            self.log.append(got)
            status = self.answers.pop(0) if self.answers else 200
            if 200 <= status < 300:
                self.seen.setdefault(got.delivery_id, got)
        return status

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout_s: float = 20) -> list[Received]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.seen) >= count:
                    return sorted(self.seen.values(), key=self.log.index)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.seen)} of {count} deliveries arrived within {timeout_s} s")

    def all_signed(self) -> bool:
        return all(verify(WEBHOOK_SECRET, got.body, got.signature) for got in self.log)


class WorkerProcess:
    """`iris worker` in its own process, on the tests' database, as `make run` or compose starts it."""

    def __init__(self, db_url: URL, **env: str):
        self.env = clean_env(**{
            "IRIS_ENV": "test",
            "DATABASE_URL": db_url.render_as_string(hide_password=False),
            "IRIS_SECRET_KEY": SECRET_KEY,
            "IRIS_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
            "IRIS_WORKER_POLL_SECONDS": "1",
            "IRIS_WEBHOOK_RETRY_BASE_SECONDS": "1",
            "IRIS_WEBHOOK_RETRY_CAP_SECONDS": "2",
            "IRIS_LOG_FORMAT": "text",
            **env,
        })  # fmt: skip
        self.process: Optional[subprocess.Popen] = None

    def start(self, stalled_s: float = 2) -> "WorkerProcess":
        command = [sys.executable, "-m", "iris", "worker", "--stalled-seconds", str(stalled_s)]
        # Its log goes to a file: a pipe nobody reads would fill up and stop the worker at its next line.
        self.log = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(command, env=self.env, cwd=ROOT, stderr=self.log, text=True)
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 30) -> str:
        """Sends `sig`, waits for the end, and returns what it wrote on stderr."""
        if self.process is None:
            return ""
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=timeout_s)
        finally:
            if self.process.poll() is None:
                self.process.kill()
        self.process = None
        self.log.seek(0)
        return self.log.read()


def eventually(check: Callable[[], bool], timeout_s: float = 20, what: str = "it") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout_s} s")
