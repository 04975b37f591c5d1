"""Fixtures for the landing unit tests: a migrated database, pages published through
the real consumer handlers, and the app behind FastAPI's TestClient."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from landing_support import SERVICE_TOKEN, USER_AGENT, FrozenClock, apply_event, campaign

from koers.db import make_engine
from koers.events import CampaignPublished
from landing.config import Settings
from landing.main import create_app


@pytest.fixture
def database_url(make_migrated_database_url: Callable[[str], str]) -> str:
    url = make_migrated_database_url("landing")
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # No minimum fill time (the clock is frozen), no rate limit and no page cache here:
    # the tests of those set them explicitly.
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key",
        service_token=SERVICE_TOKEN,
        kafka_bootstrap_servers="127.0.0.1:1",
        cv_dir=tmp_path / "cvs",
        min_fill_seconds=0,
        rate_limit_per_minute=0,
        page_cache_seconds=0,
    )


@pytest.fixture
def client(settings: Settings, clock: FrozenClock) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock)
    with TestClient(app, headers={"user-agent": USER_AGENT}) as test_client:
        yield test_client


@pytest.fixture
def published(engine: sa.Engine) -> CampaignPublished:
    published = campaign()
    apply_event(engine, published)
    return published
