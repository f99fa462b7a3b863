"""TTLCache: expiry exactly at the TTL, LRU eviction beyond the size, disabled at 0."""

from __future__ import annotations

from cible.services.cache import TTLCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_lives_until_exactly_its_ttl() -> None:
    clock = Clock()
    cache: TTLCache[str, int] = TTLCache(10, 2.0, clock=clock)
    cache.put("a", 1)
    clock.now = 101.999
    assert cache.get("a") == (True, 1)
    clock.now = 102.0  # stored at 100 with ttl 2: expired at 102 exactly
    assert cache.get("a") == (False, None)
    assert (cache.hits, cache.misses, len(cache)) == (1, 1, 0)


def test_least_recently_used_goes_first() -> None:
    cache: TTLCache[str, int] = TTLCache(2, 60, clock=Clock())
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == (True, 1)  # a is now the most recent
    cache.put("c", 3)
    assert cache.get("b") == (False, None)
    assert cache.get("a") == (True, 1) and cache.get("c") == (True, 3)


def test_none_is_a_cached_value_not_a_miss() -> None:
    cache: TTLCache[str, int | None] = TTLCache(2, 60, clock=Clock())
    cache.put("unknown", None)
    assert cache.get("unknown") == (True, None)


def test_invalidate_and_clear() -> None:
    cache: TTLCache[str, int] = TTLCache(5, 60, clock=Clock())
    for i, k in enumerate("abc"):
        cache.put(k, i)
    cache.invalidate(["a", "zz"])
    assert [cache.get(k)[0] for k in "abc"] == [False, True, True]
    cache.clear()
    assert len(cache) == 0


def test_size_or_ttl_zero_disables_it() -> None:
    for size, ttl in ((0, 60.0), (5, 0.0)):
        cache: TTLCache[str, int] = TTLCache(size, ttl, clock=Clock())
        cache.put("a", 1)
        assert cache.get("a") == (False, None) and not cache.enabled
