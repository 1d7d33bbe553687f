"""The per-worker token cache: for its time and no longer, never past a token's expiry, bounded in size."""

from datetime import datetime, timedelta, timezone

from iris.api.token_cache import TokenCache
from iris.services.identity import Actor

NOW = datetime(2026, 11, 30, tzinfo=timezone.utc)
ANN = Actor("ann", "agent", 1)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_lasts_its_seconds_and_no_longer():
    clock = Clock()
    cache = TokenCache(1, clock=clock)
    cache.put(b"h", ANN, None, clock.now)
    clock.now += 0.9
    assert cache.get(b"h", NOW) == ANN
    clock.now += 0.2
    assert cache.get(b"h", NOW) is None


def test_a_token_past_its_expiry_is_never_served_from_the_cache():
    cache = TokenCache(60, clock=Clock())
    cache.put(b"h", ANN, NOW + timedelta(seconds=1), 100.0)
    assert cache.get(b"h", NOW) == ANN
    assert cache.get(b"h", NOW + timedelta(seconds=1)) is None


def test_the_cache_is_bounded_and_off_at_zero():
    cache = TokenCache(60, size=3, clock=Clock())
    for n in range(5):
        cache.put(bytes([n]), ANN, None, 100.0)
    assert [cache.get(bytes([n]), NOW) for n in range(5)] == [None, None, ANN, ANN, ANN]
    off = TokenCache(0)
    off.put(b"h", ANN, None, 0.0)
    assert off.get(b"h", NOW) is None
    cache.clear()
    assert cache.get(bytes([4]), NOW) is None
