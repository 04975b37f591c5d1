"""The form rate limit kept in a real Redis (``KOERS_LANDING_REDIS_URL``): replicas share
one bucket per client, hits from many threads never spend more than the bucket, a bucket
expires by itself once full again, no address is stored, and a Redis that does not
answer leaves each process limiting on its own instead of failing a candidate."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from landing.submissions.ratelimit import RedisRateLimiter
from tests.support.landing_app import landing_app

pytestmark = pytest.mark.integration

CLIENT_IP = "203.0.113.9"


def limiter(
    url: str, secret: str, now: list[float], per_minute: float, burst: int
) -> RedisRateLimiter:
    """A limiter as one landing process builds it (a random secret keeps each test's
    buckets apart on a Redis other tests share)."""
    return RedisRateLimiter.connect(url, per_minute, burst, clock=lambda: now[0], key_secret=secret)


def test_two_replicas_in_parallel_never_spend_more_than_the_bucket(redis_url: str) -> None:
    """Two processes' limiters, eight threads, 40 hits on one client's bucket of 10 at a
    standstill: exactly 10 go through, because Redis runs each hit's script atomically."""
    secret, now = secrets.token_hex(8), [1_000.0]
    replicas = [limiter(redis_url, secret, now, per_minute=0.001, burst=10) for _ in range(2)]
    verdicts: list[int] = []
    lock = threading.Lock()

    def hit(replica: RedisRateLimiter) -> None:
        for _ in range(5):
            wait = replica.allow(CLIENT_IP)
            with lock:
                verdicts.append(wait)

    threads = [threading.Thread(target=hit, args=(replicas[n % 2],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(verdicts) == 40 and verdicts.count(0) == 10
    assert all(wait > 0 for wait in verdicts if wait)


def test_the_bucket_refills_with_time_and_expires_once_full(redis_url: str) -> None:
    secret, now = secrets.token_hex(8), [1_000.0]
    shared = limiter(redis_url, secret, now, per_minute=60, burst=2)
    assert [shared.allow(CLIENT_IP) for _ in range(3)] == [0, 0, 1]

    now[0] += 1.0  # one token back
    assert shared.allow(CLIENT_IP) == 0 and shared.allow(CLIENT_IP) == 1

    now[0] -= 5.0  # another process's clock a little behind takes nothing away
    assert shared.allow(CLIENT_IP) == 1

    client = redis.Redis.from_url(redis_url)
    key = shared.client_key(CLIENT_IP)
    ttl_ms = client.pttl(key)
    client.close()
    # Empty bucket: full again after burst / rate = 2 s (+ 1 s slack), then gone.
    assert 2_000 <= ttl_ms <= 3_000


def test_no_address_is_stored_in_redis(redis_url: str) -> None:
    secret, now = secrets.token_hex(8), [1_000.0]
    shared = limiter(redis_url, secret, now, per_minute=60, burst=2)
    shared.allow(CLIENT_IP)

    client = redis.Redis.from_url(redis_url)
    key = shared.client_key(CLIENT_IP)
    stored = client.hgetall(key)
    client.close()
    assert key.startswith(RedisRateLimiter.KEY_PREFIX)
    assert CLIENT_IP not in key and len(key) == len(RedisRateLimiter.KEY_PREFIX) + 64
    assert set(stored) == {b"tokens", b"updated"}


def test_without_redis_each_process_limits_on_its_own(caplog: pytest.LogCaptureFixture) -> None:
    now = [1_000.0]
    down = limiter("redis://127.0.0.1:1/0", "k", now, per_minute=60, burst=2)

    started = time.perf_counter()
    assert [down.allow(CLIENT_IP) for _ in range(3)] == [0, 0, 1]
    # Redis was asked once; the next forms did not wait for it again.
    assert time.perf_counter() - started < 1.0
    warnings = [r for r in caplog.records if "Redis does not answer" in r.getMessage()]
    assert len(warnings) == 1  # once a minute, not once a form
    assert CLIENT_IP not in caplog.text


def test_a_hanging_redis_costs_one_timeout_per_few_seconds_not_one_per_form() -> None:
    """A "Redis" that accepts connections and never answers (a listening socket nobody
    accepts from): the first form waits for the timeout, the next ones within 5 s are
    decided in-process at once."""
    now = [1_000.0]
    with socket.socket() as hanging:
        hanging.bind(("127.0.0.1", 0))
        hanging.listen(8)
        port = hanging.getsockname()[1]
        limiter_ = limiter(f"redis://127.0.0.1:{port}/0", "k", now, per_minute=60, burst=5)
        started = time.perf_counter()
        assert limiter_.allow(CLIENT_IP) == 0
        first = time.perf_counter() - started
        started = time.perf_counter()
        now[0] += 4.0
        assert [limiter_.allow(CLIENT_IP) for _ in range(4)] == [0, 0, 0, 0]
        next_four = time.perf_counter() - started
        now[0] += 2.0  # past the 5 s: Redis is asked again, and waited for again
        started = time.perf_counter()
        limiter_.allow(CLIENT_IP)
        again = time.perf_counter() - started

    assert 0.4 <= first < 1.5 and 0.4 <= again < 1.5  # one 0.5 s timeout, no retries
    assert next_four < 0.1


def test_the_app_takes_redis_from_its_settings_and_reports_it_on_readyz(
    redis_url: str, make_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    url = make_database_url("landing")
    # Both replicas sign with one secret (as in production); a fresh one per run keeps
    # this run's buckets apart from earlier runs' on the same Redis.
    shared = {"redis_url": redis_url, "secret_key": secrets.token_hex(16)}
    limit = {"rate_limit_per_minute": 6, "rate_limit_burst": 2}
    with (
        landing_app(url, tmp_path, **shared, **limit) as first,
        landing_app(url, tmp_path, **shared, **limit) as second,
    ):
        assert isinstance(first.client.app.state.rate_limiter, RedisRateLimiter)  # type: ignore[attr-defined]
        statuses = [
            app.client.post("/j/nope/lead", data={"form_token": "x"}).status_code
            for app in (first, second, first, second)
        ]
        checks = first.client.get("/readyz").json()["checks"]

    # The burst of 2 is spent across both apps; a missing page is 404 only while allowed.
    assert statuses[2:] == [429, 429] and 429 not in statuses[:2]
    assert checks["redis"] == "ok"


def test_readyz_says_degraded_when_redis_does_not_answer(
    make_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    with landing_app(
        make_database_url("landing"),
        tmp_path,
        redis_url="redis://127.0.0.1:1/0",
        rate_limit_per_minute=6,
    ) as app:
        ready = app.client.get("/readyz")

    assert ready.status_code == 200  # still serving candidates, each process limiting alone
    assert ready.json()["status"] == "degraded"
    assert ready.json()["checks"]["redis"].startswith("unreachable")
