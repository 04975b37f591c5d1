"""A per-client-IP token bucket for form submissions, in three shapes behind one
interface (``allow(key)`` returns 0 when a request may go ahead, else the seconds to
wait):

- :class:`RateLimiter`, in-process: one landing process keeps its own buckets, so with N
  processes a client may send N times the rate. Enough for the embedded default (one
  process); costs no round trip; the least recently used buckets are dropped beyond
  ``max_clients``.
- :class:`SharedRateLimiter`, in the landing database (``rate_buckets``), which every
  replica shares (``KOERS_LANDING_RATE_LIMIT_SHARED=true``, what deploy/k8s sets). One
  hit is ONE statement: an upsert that refills the bucket, takes a token if there is one
  and returns the verdict, so the database serialises parallel hits on the client's row
  and two replicas never both spend the last token (as the console's login throttle).
  The key is an HMAC of the IP address with the service's secret key, so no address is
  stored; buckets idle long enough to be full again are deleted now and then, as a
  missing bucket is a full one.
- :class:`RedisRateLimiter`, in Redis (``KOERS_LANDING_REDIS_URL``), where a deployment
  runs one: the same bucket as one Lua script, which Redis runs atomically, so parallel
  hits from every replica are serialised as in the database, without a write to the
  landing database per form. A bucket expires by itself once it would be full again.
  Redis is a cache here, not a store: when it does not answer, each process falls back
  to its own in-process bucket (a per-process limit for that while, never a lost
  candidate) and asks Redis again only after a few seconds, so an outage does not add
  a timeout to every form; it reports the outage in a log line and on ``/readyz``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

import redis
import sqlalchemy as sa
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import Connection, Engine
from sqlalchemy.dialects import postgresql, sqlite

from koers.db import transaction
from landing.submissions.repository import rate_buckets

log = logging.getLogger(__name__)


class FormRateLimit(Protocol):
    """What the form routes need of a limiter, whichever shape it has."""

    @property
    def enabled(self) -> bool: ...

    def allow(self, key: str) -> int:
        """0 when a request from ``key`` may go ahead, else the seconds to wait."""
        ...


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


class SharedRateLimiter:
    """The token bucket of :class:`RateLimiter`, kept in the database for every process."""

    def __init__(
        self,
        engine: Engine,
        per_minute: float,
        burst: int,
        clock: Callable[[], float],
        key_secret: str,
        forget_every_s: float = 300,
    ) -> None:
        self._engine = engine
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock  # seconds since the epoch: the same in every process
        self._secret = key_secret.encode()
        self._forget_every_s = forget_every_s
        self._forget_at = 0.0

    @property
    def enabled(self) -> bool:
        return self._rate > 0

    def client_key(self, key: str) -> str:
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()

    def allow(self, key: str) -> int:
        if not self.enabled:
            return 0
        now = self._clock()
        with transaction(self._engine) as conn:
            tokens, allowed = self._hit(conn, self.client_key(key), now)
        if now >= self._forget_at:
            self._forget_at = now + self._forget_every_s
            self.forget_full_buckets(now)
        if allowed:
            return 0
        return max(1, math.ceil((1.0 - tokens) / self._rate))

    def _hit(self, conn: Connection, client: str, now: float) -> tuple[float, bool]:
        t = rate_buckets
        burst = sa.literal(self._burst, sa.Float)
        grown = t.c.tokens + (sa.literal(now, sa.Float) - t.c.updated_at) * self._rate
        # A clock a little behind another process's must not take tokens away.
        refilled = sa.case((grown > burst, burst), (grown < t.c.tokens, t.c.tokens), else_=grown)
        enough = refilled >= 1.0
        insert = (sqlite if conn.dialect.name == "sqlite" else postgresql).insert(t)
        statement = (
            insert.values(client=client, tokens=self._burst - 1.0, updated_at=now, allowed=True)
            .on_conflict_do_update(
                index_elements=[t.c.client],
                set_={
                    "tokens": sa.case((enough, refilled - 1.0), else_=refilled),
                    "updated_at": sa.case((t.c.updated_at > now, t.c.updated_at), else_=now),
                    "allowed": enough,
                },
            )
            .returning(t.c.tokens, t.c.allowed)
        )
        tokens, allowed = conn.execute(statement).one()
        return float(tokens), bool(allowed)

    def forget_full_buckets(self, now: float) -> int:
        """Delete buckets idle long enough to be full again (as good as absent)."""
        full_after = self._burst / self._rate
        with transaction(self._engine) as conn:
            return conn.execute(
                sa.delete(rate_buckets).where(rate_buckets.c.updated_at < now - full_after)
            ).rowcount


# KEYS[1]: the client's bucket; ARGV: now (s), rate (tokens/s), burst. Returns
# {1 if allowed else 0, tokens left as text} (a Lua number would reach Python truncated).
_TAKE_TOKEN = """
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(bucket[1])
local updated = tonumber(bucket[2])
if tokens == nil or updated == nil then
  tokens = burst
  updated = now
end
local refilled = tokens
if now > updated then
  refilled = math.min(burst, tokens + (now - updated) * rate)
  updated = now
end
local allowed = 0
if refilled >= 1 then
  refilled = refilled - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(refilled), 'updated', tostring(updated))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - refilled) / rate * 1000) + 1000)
return {allowed, tostring(refilled)}
"""


class RedisRateLimiter:
    """The token bucket of :class:`RateLimiter`, kept in Redis for every process."""

    KEY_PREFIX = "koers:landing:form-rate:"

    def __init__(
        self,
        client: redis.Redis,
        per_minute: float,
        burst: int,
        clock: Callable[[], float],
        key_secret: str,
        fallback: RateLimiter,
        warn_every_s: float = 60,
        retry_after_s: float = 5,
    ) -> None:
        self._client = client
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock  # seconds since the epoch: the same in every process
        self._secret = key_secret.encode()
        self._take_token = client.register_script(_TAKE_TOKEN)
        self._fallback = fallback
        self._warn_every_s = warn_every_s
        self._warned_at = -math.inf
        self._retry_after_s = retry_after_s
        self._away_until = -math.inf  # the fallback decides until then

    @classmethod
    def connect(
        cls,
        url: str,
        per_minute: float,
        burst: int,
        clock: Callable[[], float],
        key_secret: str,
    ) -> RedisRateLimiter:
        """Short timeouts and no retries (redis-py retries three times by default): a
        form must not wait long on a limit that can fall back."""
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=0.5,
            socket_timeout=0.5,
            retry=Retry(NoBackoff(), retries=0),
        )
        fallback = RateLimiter(per_minute, burst, clock=clock)
        return cls(client, per_minute, burst, clock, key_secret, fallback)

    @property
    def enabled(self) -> bool:
        return self._rate > 0

    def client_key(self, key: str) -> str:
        digest = hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()
        return self.KEY_PREFIX + digest

    def allow(self, key: str) -> int:
        if not self.enabled:
            return 0
        now = self._clock()
        if now < self._away_until:
            return self._fallback.allow(key)
        try:
            allowed, tokens = self._take_token(
                keys=[self.client_key(key)], args=[repr(now), repr(self._rate), self._burst]
            )
        except redis.RedisError as error:
            self._away_until = now + self._retry_after_s
            self._warn(error)
            return self._fallback.allow(key)
        if int(allowed):
            return 0
        return max(1, math.ceil((1.0 - float(tokens)) / self._rate))

    def ping(self) -> None:
        """The readiness check: raises when Redis does not answer."""
        self._client.ping()

    def close(self) -> None:
        self._client.close()

    def _warn(self, error: redis.RedisError) -> None:
        now = self._clock()
        if now - self._warned_at >= self._warn_every_s:
            self._warned_at = now
            log.warning(
                "the shared form rate limit in Redis does not answer (%s): each process "
                "limits on its own until it does",
                type(error).__name__,
            )
