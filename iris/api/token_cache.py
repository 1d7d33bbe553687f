"""Who recently checked tokens stood for, per worker, for a second or so: the token check's database
round trip, once a second per token rather than on every request (it cost ~30% of a cheap request;
docs/performance.md).

The price, stated: a token revoked, or a user deactivated or given another role, elsewhere (another
worker, another host, the `iris` command) keeps its old rights in this worker for at most
IRIS_AUTH_CACHE_SECONDS; in the worker that made the change, at once (it clears its cache). A
token's own expiry is checked on every request. 0 turns the cache off.
"""

import threading
import time
from collections import OrderedDict
from datetime import datetime
from typing import Callable, Optional

from iris.services.identity import Actor


class TokenCache:
    def __init__(self, seconds: float, size: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.seconds, self.size, self.clock = seconds, size, clock
        self._entries: OrderedDict[bytes, tuple[Actor, Optional[datetime], float]] = OrderedDict()
        self._lock = threading.Lock()  # gthread workers share one app

    def get(self, digest: bytes, now: datetime) -> Optional[Actor]:
        """The actor the token with this hash stood for, if checked within the last `seconds` and not expired."""
        if self.seconds <= 0:
            return None
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            actor, expires, checked = entry
            if self.clock() - checked >= self.seconds or (expires is not None and expires <= now):
                del self._entries[digest]
                return None
            return actor

    def now(self) -> float:
        return self.clock()

    def put(self, digest: bytes, actor: Actor, expires: Optional[datetime], checked: float) -> None:
        """Remember `actor` as of `checked` (taken before the database was read, so the window never
        runs longer than `seconds` from what the database said)."""
        if self.seconds <= 0:
            return
        with self._lock:
            self._entries[digest] = (actor, expires, checked)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
