"""Password attempts (signing in to the web page, or giving the current password to change it), counted per
account and per address (the `limits` library, moving window).

Every attempt is counted before the password is hashed, atomically (so parallel attempts cannot slip past
the count), and past either limit sign-ins are refused until the oldest attempt leaves the window; a
successful sign-in clears its account's count (not its address's: one good account must not reset the
address for guessing others). The account is counted by the name typed, whether or not such a user
exists, so refusing says nothing about which names are real; the key holds only a hash of the name (people
type passwords into it by mistake). The same count guards the current password when a signed-in user
changes theirs. Counted in IRIS_RATE_LIMIT_STORAGE (memory: per worker; Redis: across workers), always on,
whatever IRIS_RATE_LIMITS says. When the storage fails, attempts are not counted (and the log says so).
"""

import hashlib
import logging
import math
import time

from limits import parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from iris.api.rate_limits import redis_options
from iris.config import Settings

log = logging.getLogger("iris.api")


class PasswordAttempts:
    def __init__(self, settings: Settings):
        url = settings.rate_limit_storage
        options = redis_options() if url.startswith("redis") else {}
        # Nothing connects here: a Redis is first asked on the first sign-in.
        self.limiter = MovingWindowRateLimiter(storage_from_string(url, wrap_exceptions=True, **options))
        self.items = {"account": parse(settings.signin_limit_account), "address": parse(settings.signin_limit_address)}
        self.prefix = settings.rate_limit_prefix

    def _account(self, username: str) -> tuple:
        name = hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()[:32]
        return self.items["account"], (self.prefix, "sign-in attempts", "account", name)

    def _address(self, address: str) -> tuple:
        return self.items["address"], (self.prefix, "sign-in attempts", "address", address)

    def attempt(self, username: str, address: str) -> int:
        """Counts an attempt; 0 when it may go on, else the seconds until this account may be tried from here."""
        try:
            for item, key in (self._account(username), self._address(address)):
                if not self.limiter.hit(item, *key):
                    reset, _ = self.limiter.get_window_stats(item, *key)
                    return max(1, math.ceil(reset - time.time()))
        except StorageError as exc:
            log.warning("sign-in throttle: the storage failed (%s); not counting", type(exc.storage_error).__name__)
        return 0

    def succeeded(self, username: str) -> None:
        item, key = self._account(username)
        try:
            self.limiter.clear(item, *key)
        except StorageError as exc:
            log.warning("sign-in throttle: the storage failed (%s)", type(exc.storage_error).__name__)
