"""A short hold, per employer, on what the overview reads from analytics and landing.

Even batched, the funnels of fifty live campaigns are a year of weeks per creative:
megabytes that cost analytics and this process about a second to build and read. Every
marketer of an employer landing on the campaigns list would pay that again, so the
answers are kept a little while and marketers asking at the same moment share one read.
Only answers are kept (an outage is asked again next time). The rules, the dismissals and
the live campaigns themselves are read fresh on every view; a change to the campaigns
asked about is another key, and recording a contact in this process forgets the
employer's contact facts, so a recruiter sees their own work at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

_T = TypeVar("_T")

FUNNELS_TTL_S = 60.0
"""Funnels are weekly facts: a minute behind changes no advice."""
CONTACT_FACTS_TTL_S = 30.0
"""Contacts recorded through another console process show within half a minute."""

Key = tuple[str, str, Hashable]
"""(source, tenant id, what was asked)."""


class OverviewSources:
    """Answers kept per (source, tenant, question) for their source's time to live;
    thread-safe. Askers get a future: kept answers at once, and concurrent askers of the
    same key the one read under way, so none of them holds a pool thread to wait."""

    def __init__(
        self,
        ttl_s: dict[str, float] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl_s = ttl_s or {"funnels": FUNNELS_TTL_S, "contact_facts": CONTACT_FACTS_TTL_S}
        self._clock = clock
        self._lock = threading.Lock()
        self._kept: dict[Key, tuple[float, Any]] = {}
        self._reading: dict[Key, Future[Any]] = {}
        self._forgotten: dict[tuple[str, str], int] = {}
        """How often each (source, tenant) was forgotten: a read that started before the
        last time is answered but not kept."""

    def ask(self, key: Key, read: Callable[[], _T], pool: Executor) -> Future[_T]:
        """The kept answer, the read under way, or a new read on ``pool``."""
        now = self._clock()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] > now:
                answered: Future[_T] = Future()
                answered.set_result(kept[1])
                return answered
            running = self._reading.get(key)
            if running is not None and not running.cancelled():
                return running
            self._drop_expired(now)
            generation = self._forgotten.get(key[:2], 0)
            # The read removes itself under this lock, so it is registered before it ends.
            future = pool.submit(self._read_and_keep, key, read, generation)
            self._reading[key] = future
            return future

    def forget(self, source: str, tenant_id: str) -> None:
        """Drop what is kept of ``source`` for the tenant (it just changed it)."""
        with self._lock:
            self._forgotten[(source, tenant_id)] = self._forgotten.get((source, tenant_id), 0) + 1
            for key in [k for k in self._kept if k[0] == source and k[1] == tenant_id]:
                del self._kept[key]

    def _read_and_keep(self, key: Key, read: Callable[[], _T], generation: int) -> _T:
        try:
            answer = read()
        except BaseException:
            with self._lock:
                self._reading.pop(key, None)
            raise
        with self._lock:
            self._reading.pop(key, None)
            if self._forgotten.get(key[:2], 0) == generation:
                self._kept[key] = (self._clock() + self._ttl_s[key[0]], answer)
        return answer

    def _drop_expired(self, now: float) -> None:
        # Under the lock, on a miss: the entries are few (one or two per employer).
        for key in [k for k, (expires, _) in self._kept.items() if expires <= now]:
            del self._kept[key]
