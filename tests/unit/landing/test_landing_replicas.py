"""Two landing processes on one database, as replicas behind a load balancer: they share
the form rate limit and serve each other's CVs (``KOERS_LANDING_CV_STORAGE=database``,
``KOERS_LANDING_RATE_LIMIT_SHARED=true``). Each "process" is its own app with its own
engine and caches; only the database is shared, as between pods."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from landing_support import USER_AGENT, FrozenClock, entry_links, form_token, minimal_pdf

from koers.events import CampaignPublished
from landing.config import Settings
from landing.main import create_app
from landing.privacy.service import Privacy
from landing.submissions.cvstore import DatabaseCvStore
from landing.submissions.ratelimit import SharedRateLimiter
from landing.submissions.repository import applications, rate_buckets

pytestmark = pytest.mark.unit

SLUG = "/j/klantenservice-utrecht"
AUTH = {"authorization": "Bearer test-service-token"}


@pytest.fixture
def replica_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "cv_storage": "database",
            "rate_limit_shared": True,
            "rate_limit_per_minute": 6.0,
            "rate_limit_burst": 4,
            "service_token": "test-service-token",
        }
    )


@pytest.fixture
def replicas(replica_settings: Settings, clock: FrozenClock) -> Iterator[list[TestClient]]:
    clients = [
        TestClient(create_app(replica_settings, clock=clock), headers={"user-agent": USER_AGENT})
        for _ in range(2)
    ]
    for client in clients:
        client.__enter__()
    yield clients
    for client in clients:
        client.__exit__(None, None, None)


def test_replicas_share_one_rate_limit(
    replicas: list[TestClient], published: CampaignPublished, engine: sa.Engine
) -> None:
    first, second = replicas
    statuses = [
        (first if n % 2 else second).post(f"{SLUG}/lead", data={"form_token": "x"}).status_code
        for n in range(6)
    ]

    assert statuses == [400, 400, 400, 400, 429, 429]  # a burst of 4 across both
    with engine.connect() as conn:
        [client_key] = conn.scalars(sa.select(rate_buckets.c.client)).all()
    assert re.fullmatch(r"[0-9a-f]{64}", client_key)  # a keyed hash, never the address


def test_a_cv_taken_by_one_replica_is_served_by_the_other(
    replicas: list[TestClient], published: CampaignPublished, engine: sa.Engine, settings: Settings
) -> None:
    first, second = replicas
    pdf = minimal_pdf("Sanne's cv")
    token = form_token(first.get(entry_links(first.get(SLUG).text)["apply"]).text)
    data = {
        "form_token": token,
        "name": "Sanne de Vries",
        "email": "sanne@example.nl",
        "phone": "06 12345678",
        "consent": "yes",
    }
    response = first.post(f"{SLUG}/apply", data=data, files={"cv": ("Mijn cv.pdf", pdf)})
    assert response.status_code == 200
    with engine.connect() as conn:
        [lead_id] = conn.scalars(sa.select(applications.c.lead_id)).all()

    download = second.get(f"/internal/v1/tenants/acme/leads/{lead_id}/cv", headers=AUTH)

    assert download.status_code == 200
    assert download.content == pdf
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == "attachment; filename*=utf-8''Mijn%20cv.pdf"
    assert not settings.cv_dir.exists()  # nothing on either replica's disk


def test_the_database_store_keeps_deletes_and_lists_cvs(engine: sa.Engine) -> None:
    store = DatabaseCvStore(engine)
    name = store.save(io.BytesIO(b"%PDF-1.7 cv"))

    assert re.fullmatch(r"[0-9a-f]{32}\.cv", name)
    assert store.read(name) == b"%PDF-1.7 cv"
    assert [n for n, _ in store.names()] == [name]
    assert store.read("../etc/passwd") is None and not store.delete("../etc/passwd")
    assert store.delete(name) and store.read(name) is None and not store.delete(name)


def test_retention_removes_orphan_cvs_from_the_database(
    engine: sa.Engine, clock: FrozenClock
) -> None:
    store = DatabaseCvStore(engine)
    orphan = store.save(io.BytesIO(b"%PDF-1.7 left by a crash"))

    report = Privacy(engine, store, lambda: clock.now + timedelta(days=3650)).run_retention()

    assert report.orphan_cv_files == 1 and store.read(orphan) is None


def test_parallel_hits_never_spend_more_than_the_bucket(engine: sa.Engine) -> None:
    """Eight threads, 40 hits on one client's bucket of 10 at a standstill: exactly 10 go
    through, because each hit is one statement the database serialises."""
    limiter = SharedRateLimiter(
        engine, per_minute=0.001, burst=10, clock=lambda: 1_000.0, key_secret="k"
    )
    verdicts: list[int] = []
    lock = threading.Lock()

    def hit() -> None:
        for _ in range(5):
            wait = limiter.allow("203.0.113.9")
            with lock:
                verdicts.append(wait)

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(verdicts) == 40 and verdicts.count(0) == 10


def test_the_shared_bucket_refills_with_time_and_forgets_idle_clients(engine: sa.Engine) -> None:
    now = [1_000.0]
    limiter = SharedRateLimiter(
        engine, per_minute=60, burst=2, clock=lambda: now[0], key_secret="k"
    )

    assert [limiter.allow("a"), limiter.allow("a")] == [0, 0]
    assert limiter.allow("a") == 1
    assert limiter.allow("b") == 0  # another client has its own bucket
    now[0] += 1.0
    assert limiter.allow("a") == 0
    now[0] -= 0.5  # another replica's clock, a little behind: no tokens taken away
    assert limiter.allow("a") == 1
    assert limiter.forget_full_buckets(now[0] + 60) == 2
