"""A few seconds of memory for published pages, so a busy page is not read and
validated from the database on every view. A publish or pause reaches candidates within
``ttl_seconds`` (the consumer writes the database; each process notices on expiry).

``lookup`` answers from memory only, so an async caller can serve a hit on the event
loop and take the database read (``get``) to a worker thread only on a miss.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from landing.pages.repository import PublishedPage

Loader = Callable[[str], PublishedPage | None]


class PageCache:
    def __init__(
        self, ttl_seconds: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._pages: dict[str, tuple[float, PublishedPage | None]] = {}
        self._lock = threading.Lock()

    def lookup(self, slug: str) -> tuple[PublishedPage | None] | None:
        """The remembered answer, wrapped in a 1-tuple because "no such page" is an
        answer too; None when it must be read (again)."""
        cached = self._pages.get(slug)
        if cached is not None and cached[0] > self._clock():
            return (cached[1],)
        return None

    def get(self, slug: str, load: Loader) -> PublishedPage | None:
        remembered = self.lookup(slug)
        if remembered is not None:
            return remembered[0]
        now = self._clock()
        page = load(slug)
        with self._lock:
            if len(self._pages) > 10_000:  # unknown slugs must not grow it without bound
                self._pages.clear()
            self._pages[slug] = (now + self._ttl, page)
        return page
