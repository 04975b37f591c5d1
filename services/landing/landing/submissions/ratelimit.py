"""A per-client-IP token bucket for form submissions.

In-process on purpose: one landing process keeps its own buckets, so with N processes a
client may send N times the rate. That is enough to stop a script hammering the forms
(the goal), costs no round trip, and stores no IP address anywhere durable (the buckets
live in memory and the least recently used are dropped beyond ``max_clients``). A shared
limiter (e.g. in the database or at the proxy) is the step up when that matters.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    """``allow(key)`` returns 0 when a request may go ahead, else the seconds to wait."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        clock: Callable[[], float],
        max_clients: int = 100_000,
    ) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._rate > 0

    def allow(self, key: str) -> int:
        if not self.enabled:
            return 0
        now = self._clock()
        with self._lock:
            tokens, updated = self._buckets.pop(key, (self._burst, now))
            tokens = min(self._burst, tokens + max(0.0, now - updated) * self._rate)
            if tokens >= 1.0:
                self._remember(key, tokens - 1.0, now)
                return 0
            self._remember(key, tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self._rate))

    def _remember(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self._max_clients:
            self._buckets.popitem(last=False)
