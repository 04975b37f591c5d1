"""Fixtures for the campaigns unit tests: a migrated database, the app, a fake analytics."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from campaigns_testkit import DEMO_PASSWORD, NOW, TODAY, FakeAnalytics
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from campaigns.config import Settings
from campaigns.main import create_app
from campaigns.seed import SeedResult, seed_demo
from koers.db import make_engine
from tests.support.passwords import FAST_PASSWORD_HASHER


@pytest.fixture
def database_url(make_migrated_database_url: Callable[[str], str]) -> str:
    url = make_migrated_database_url("campaigns")
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-for-sessions",
        var_dir=tmp_path / "var",
        landing_url="https://jobs.example.nl",
        kafka_bootstrap_servers="127.0.0.1:1",
    )


@pytest.fixture
def seeded(engine: Engine, settings: Settings) -> SeedResult:
    return seed_demo(
        engine,
        var_dir=settings.var_dir,
        console_url=settings.console_url,
        demo_password=DEMO_PASSWORD,
        today=TODAY,
        now=NOW,
        language="en",  # the tests read the English texts
        password_hasher=FAST_PASSWORD_HASHER,
    )


@pytest.fixture
def analytics() -> FakeAnalytics:
    return FakeAnalytics()


@pytest.fixture
def client(settings: Settings, analytics: FakeAnalytics) -> Iterator[TestClient]:
    with TestClient(
        create_app(settings, analytics=analytics, password_hasher=FAST_PASSWORD_HASHER)
    ) as test_client:
        yield test_client
