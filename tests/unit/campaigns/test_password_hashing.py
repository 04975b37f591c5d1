"""Production hashes passwords with strong argon2id parameters; tests inject a cheap
hasher (tests/support/passwords.py) and these tests keep the production side honest."""

from __future__ import annotations

import argon2
import pytest
import sqlalchemy as sa
from campaigns_testkit import DEMO_PASSWORD, FakeAnalytics, log_in
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from campaigns.config import Settings
from campaigns.demo import DEMO_EMAIL
from campaigns.main import create_app
from campaigns.seed import SeedResult
from campaigns.tenancy.auth import STRONG_PASSWORD_HASHER, verify_password
from tests.support import campaigns_db as repo
from tests.support.passwords import FAST_PASSWORD_HASHER

pytestmark = pytest.mark.unit

MEBIBYTE = 1024  # argon2 counts memory in KiB


def stored_hash(engine: Engine, email: str) -> str:
    with engine.connect() as conn:
        value: str = conn.execute(
            sa.select(repo.users.c.password_hash).where(repo.users.c.email == email)
        ).scalar_one()
    return value


def test_production_parameters_follow_rfc_9106() -> None:
    # RFC 9106's second recommended option: argon2id, t=3, 64 MiB, 4 lanes.
    assert STRONG_PASSWORD_HASHER.type is argon2.Type.ID
    assert STRONG_PASSWORD_HASHER.time_cost >= 3
    assert STRONG_PASSWORD_HASHER.memory_cost >= 64 * MEBIBYTE
    assert STRONG_PASSWORD_HASHER.parallelism >= 4
    assert STRONG_PASSWORD_HASHER.hash_len >= 32 and STRONG_PASSWORD_HASHER.salt_len >= 16


def test_the_app_built_without_a_hasher_stores_production_strength_hashes(
    engine: Engine, settings: Settings, seeded: SeedResult
) -> None:
    # The tests' fixtures seed the demo user with a cheap hash; the production app
    # accepts it once and stores a hash with production's parameters in its place.
    cheap = argon2.extract_parameters(stored_hash(engine, DEMO_EMAIL))
    assert cheap.memory_cost == FAST_PASSWORD_HASHER.memory_cost

    with TestClient(create_app(settings, analytics=FakeAnalytics())) as client:
        log_in(client, DEMO_EMAIL, DEMO_PASSWORD)

    rehashed = stored_hash(engine, DEMO_EMAIL)
    strong = argon2.extract_parameters(rehashed)
    assert strong.type is argon2.Type.ID
    assert (strong.time_cost, strong.memory_cost, strong.parallelism) == (
        STRONG_PASSWORD_HASHER.time_cost,
        STRONG_PASSWORD_HASHER.memory_cost,
        STRONG_PASSWORD_HASHER.parallelism,
    )
    assert verify_password(rehashed, DEMO_PASSWORD)
    assert not verify_password(rehashed, DEMO_PASSWORD + "x")


def test_the_cheap_test_hasher_still_refuses_a_wrong_password() -> None:
    hashed = FAST_PASSWORD_HASHER.hash("correct horse battery staple")
    assert verify_password(hashed, "correct horse battery staple", FAST_PASSWORD_HASHER)
    assert not verify_password(hashed, "correct horse battery stapler", FAST_PASSWORD_HASHER)
