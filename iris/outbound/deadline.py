"""An overall deadline for one outbound call.

httpx's timeouts bound each network operation, not the call: a server that sends one byte of its answer every few
seconds (headers included: h11 waits for up to 16 KiB of them) never trips a read timeout and could hold a worker
for hours. `Deadline` learns the call's socket through httpcore's public `trace` request extension and, when time
is up, shuts the socket down, which wakes the blocked read with an error the client reports as a timeout.

One watchdog thread keeps every deadline of the process (a heap by end time): a `threading.Timer` per call started a
thread per delivery, 6% of the worker's samples under load (py-spy). The standard library's `sched` runs events
in the caller's thread and cannot be woken early for a sooner deadline, hence these few lines of our own.
"""

import heapq
import itertools
import logging
import socket
import threading
import time
from typing import Any, Optional

log = logging.getLogger("iris.outbound")


class _Watchdog:
    """Calls each `expire` at its time, unless cancelled first, from one daemon thread started on first use."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, "Deadline"]] = []
        self._order = itertools.count()  # ties never compare two Deadlines
        self._wake = threading.Condition()
        self._thread: Optional[threading.Thread] = None

    def watch(self, deadline: "Deadline") -> None:
        with self._wake:
            heapq.heappush(self._due, (deadline.ends, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="iris-deadlines", daemon=True)
                self._thread.start()
            if self._due[0][2] is deadline:  # sooner than what the watchdog waits for
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._due and self._due[0][2].done:  # finished calls: nothing to do
                    heapq.heappop(self._due)
                if not self._due:
                    self._wake.wait()
                    continue
                wait = self._due[0][0] - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                deadline = heapq.heappop(self._due)[2]
            try:
                deadline.expire()  # outside the condition: it takes the deadline's own lock
            except Exception:  # never the end of the one thread every call's deadline relies on
                log.exception("could not cut off an outbound call at its deadline")


_WATCHDOG = _Watchdog()


class Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self.ends = time.monotonic() + seconds
        self.done = False
        self._sock: Optional[socket.socket] = None
        self._lock = threading.Lock()

    def __enter__(self) -> "Deadline":
        _WATCHDOG.watch(self)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        # Under the lock, so the watchdog can never shut down a descriptor the client has closed and reused since.
        with self._lock:
            self.done = True
            self._sock = None  # the heap keeps this until its time: not the socket with it

    def remaining(self) -> float:
        return max(0.0, self.ends - time.monotonic())

    def trace(self, event: str, info: dict) -> None:
        """httpcore's `trace` extension: remember the socket of each connection (the TLS one replaces the TCP one,
        whose descriptor it takes over)."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            sock = info["return_value"].get_extra_info("socket")
            with self._lock:
                self._sock = sock
                if self.expired:
                    self._shutdown()

    def expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is None:
            return
        try:
            # The plain socket method, also for an SSLSocket: its own shutdown() would tear down TLS state under the
            # reading thread; this only makes the blocked recv() return.
            socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
        except OSError:
            pass
