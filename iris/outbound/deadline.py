"""An overall deadline for one outbound call.

httpx's timeouts bound each network operation, not the call: a server that sends one byte of its answer every few
seconds (headers included: h11 waits for up to 16 KiB of them) never trips a read timeout and could hold a worker
for hours. `Deadline` learns the call's socket through httpcore's public `trace` request extension and, when time
is up, shuts the socket down, which wakes the blocked read with an error the client reports as a timeout.
"""

import socket
import threading
import time
from typing import Any, Optional


class Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._ends = time.monotonic() + seconds
        self._sock: Optional[socket.socket] = None
        self._done = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> "Deadline":
        self._timer.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        # Under the lock, so the timer can never shut down a descriptor the client has closed and reused since.
        with self._lock:
            self._done = True
            self._timer.cancel()

    def remaining(self) -> float:
        return max(0.0, self._ends - time.monotonic())

    def trace(self, event: str, info: dict) -> None:
        """httpcore's `trace` extension: remember the socket of each connection (the TLS one replaces the TCP one,
        whose descriptor it takes over)."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            sock = info["return_value"].get_extra_info("socket")
            with self._lock:
                self._sock = sock
                if self.expired:
                    self._shutdown()

    def _expire(self) -> None:
        with self._lock:
            if self._done:
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
