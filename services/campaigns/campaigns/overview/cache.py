"""A short hold, per employer, on what the overview reads from analytics and landing.

Even batched, the funnels of fifty live campaigns are a year of weeks per creative:
megabytes that cost analytics and this process about a second to build and read. Every
marketer of an employer landing on the campaigns list would pay that again, so the
answers are kept a little while and marketers asking at the same moment share one read.
The ranked follow-up made of them is kept too, for as short a while: its rules cost more
than the rest of the campaigns list. Only complete answers are kept (an outage is asked
again next time). The live campaigns are read on every view, and a change to them is
another key; recording a contact, a reply or an outcome in this process forgets the
employer's contact facts and follow-up, and dismissing an action its follow-up, so a
marketer sees their own work at once.
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
FOLLOW_UP_TTL_S = 30.0
"""The ranked follow-up itself: an edited creative shows in its advice within half a
minute; a dismissal or a contact recorded here forgets it at once."""

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
        self._ttl_s = ttl_s or {
            "funnels": FUNNELS_TTL_S,
            "contact_facts": CONTACT_FACTS_TTL_S,
            "follow_up": FOLLOW_UP_TTL_S,
        }
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

    def kept_or_compute(
        self, key: Key, compute: Callable[[], _T], *, keep: Callable[[_T], bool]
    ) -> _T:
        """The kept value, or ``compute()`` in this thread (concurrent askers of the same
        key wait for it and share it), kept when ``keep`` says so."""
        now = self._clock()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] > now:
                value: _T = kept[1]
                return value
            running = self._reading.get(key)
            if running is None:
                self._drop_expired(now)
                future: Future[Any] = Future()
                self._reading[key] = future
                generation = self._forgotten.get(key[:2], 0)
        if running is not None:
            shared: _T = running.result()
            return shared
        try:
            computed = compute()
        except BaseException as exc:
            with self._lock:
                self._reading.pop(key, None)
            future.set_exception(exc)
            raise
        with self._lock:
            self._reading.pop(key, None)
            if keep(computed) and self._forgotten.get(key[:2], 0) == generation:
                self._kept[key] = (self._clock() + self._ttl_s[key[0]], computed)
        future.set_result(computed)
        return computed

    def forget(self, tenant_id: str, *sources: str) -> None:
        """Drop what is kept of these ``sources`` for the tenant (it just changed them)."""
        with self._lock:
            for source in sources:
                self._forgotten[(source, tenant_id)] = (
                    self._forgotten.get((source, tenant_id), 0) + 1
                )
            for key in [k for k in self._kept if k[0] in sources and k[1] == tenant_id]:
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
