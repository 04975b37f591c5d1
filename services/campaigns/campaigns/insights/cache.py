"""A short hold on another service's slow-moving answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from cachetools import TTLCache

_T = TypeVar("_T")
_MISSING = object()


class AnswerCache:
    """Slow-moving answers of another service, kept for ``ttl_s`` seconds (thread-safe).

    Only answers are kept: an outage is asked again on the next request. ``clock`` is
    injectable for tests.
    """

    def __init__(
        self, ttl_s: float, *, max_entries: int = 2048, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self._entries: TTLCache[tuple[str, str], Any] = TTLCache(max_entries, ttl_s, timer=clock)
        self._lock = threading.Lock()

    def get_or_ask(self, key: tuple[str, str], ask: Callable[[], _T]) -> _T:
        with self._lock:
            found = self._entries.get(key, _MISSING)
        if found is not _MISSING:
            value: _T = found
            return value
        answer = ask()
        with self._lock:
            self._entries[key] = answer
        return answer
