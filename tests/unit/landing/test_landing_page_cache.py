"""Published pages are kept in memory for a few seconds, then read again."""

from __future__ import annotations

import pytest

from landing.pages.cache import PageCache

pytestmark = pytest.mark.unit


def test_a_page_is_read_once_per_ttl_and_a_miss_is_remembered_too() -> None:
    now = [100.0]
    reads: list[str] = []
    cache = PageCache(ttl_seconds=2.0, clock=lambda: now[0])

    def load(slug: str) -> None:
        reads.append(slug)
        return None

    cache.get("a", load)
    cache.get("a", load)
    now[0] += 1.9
    cache.get("a", load)
    now[0] += 0.2
    cache.get("a", load)

    assert reads == ["a", "a"]


def test_a_zero_ttl_reads_every_time() -> None:
    reads: list[str] = []
    cache = PageCache(ttl_seconds=0, clock=lambda: 5.0)
    for _ in range(3):
        cache.get("a", lambda slug: reads.append(slug))  # type: ignore[func-returns-value]

    assert reads == ["a", "a", "a"]


def test_lookup_answers_from_memory_only_and_remembers_a_missing_page_too() -> None:
    now = [100.0]
    cache = PageCache(ttl_seconds=2.0, clock=lambda: now[0])

    assert cache.lookup("a") is None  # never read: the caller must read it
    cache.get("a", lambda slug: None)
    assert cache.lookup("a") == (None,)  # read, and there is no such page
    now[0] += 2.1
    assert cache.lookup("a") is None
