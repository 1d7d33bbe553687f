"""Failed sign-ins, counted per account and per address (the `limits` library, moving window).

Past either limit, sign-ins are refused before the password is hashed (so a guesser also cannot make the
server hash without end), until the oldest failure leaves the window. The account is counted by the name
typed, whether or not such a user exists, so refusing says nothing about which names are real. Counted
in IRIS_RATE_LIMIT_STORAGE (memory: per worker; Redis: across workers), always on, whatever
IRIS_RATE_LIMITS says. When the storage fails, sign-ins are not counted (and the log says so).
"""

import logging
import math
import time

from limits import parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from iris.api.rate_limits import redis_options
from iris.config import Settings

log = logging.getLogger("iris.web")


class SignInThrottle:
    def __init__(self, settings: Settings):
        url = settings.rate_limit_storage
        options = redis_options() if url.startswith("redis") else {}
        # Nothing connects here: a Redis is first asked on the first sign-in.
        self.limiter = MovingWindowRateLimiter(storage_from_string(url, wrap_exceptions=True, **options))
        self.items = {"account": parse(settings.signin_limit_account), "address": parse(settings.signin_limit_address)}
        self.prefix = settings.rate_limit_prefix

    def _keys(self, username: str, address: str):
        yield self.items["account"], (self.prefix, "failed sign-ins", "account", username.strip().lower()[:100])
        yield self.items["address"], (self.prefix, "failed sign-ins", "address", address)

    def wait(self, username: str, address: str) -> int:
        """Seconds until this account may be tried again from this address; 0: now."""
        try:
            for item, key in self._keys(username, address):
                if not self.limiter.test(item, *key):
                    reset, _ = self.limiter.get_window_stats(item, *key)
                    return max(1, math.ceil(reset - time.time()))
        except StorageError as exc:
            log.warning("sign-in throttle: the storage failed (%s); not counting", type(exc.storage_error).__name__)
        return 0

    def failed(self, username: str, address: str) -> None:
        try:
            for item, key in self._keys(username, address):
                self.limiter.hit(item, *key)
        except StorageError as exc:
            log.warning("sign-in throttle: the storage failed (%s); not counting", type(exc.storage_error).__name__)
