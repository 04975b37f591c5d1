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
from concurrent.futures import Future
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
    thread-safe, and concurrent askers of the same key share one read."""

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

    def get_or_read(self, key: Key, read: Callable[[], _T]) -> _T:
        now = self._clock()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] > now:
                value: _T = kept[1]
                return value
            running = self._reading.get(key)
            generation = self._forgotten.get(key[:2], 0)
            if running is None:
                future: Future[Any] = Future()
                self._reading[key] = future
                self._drop_expired(now)
        if running is not None:
            shared: _T = running.result()
            return shared
        try:
            answer = read()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        finally:
            with self._lock:
                del self._reading[key]
        with self._lock:
            if self._forgotten.get(key[:2], 0) == generation:
                self._kept[key] = (self._clock() + self._ttl_s[key[0]], answer)
        future.set_result(answer)
        return answer

    def forget(self, source: str, tenant_id: str) -> None:
        """Drop what is kept of ``source`` for the tenant (it just changed it)."""
        with self._lock:
            self._forgotten[(source, tenant_id)] = self._forgotten.get((source, tenant_id), 0) + 1
            for key in [k for k in self._kept if k[0] == source and k[1] == tenant_id]:
                del self._kept[key]

    def _drop_expired(self, now: float) -> None:
        # Under the lock, on a read: the entries are few (one or two per employer).
        for key in [k for k, (expires, _) in self._kept.items() if expires <= now]:
            del self._kept[key]
