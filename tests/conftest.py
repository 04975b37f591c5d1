"""Fixtures shared by every test tier.

- ``broker``: one real embedded broker (Tansu, Kafka protocol) per test session.
- ``make_database_url``: a fresh, empty database per call: a temporary SQLite file, or,
  when ``KOERS_TEST_DATABASE_URL`` points at PostgreSQL, a new database on that server
  (dropped at the end of the session).
- ``redis_url``: a real Redis (``KOERS_TEST_REDIS_URL``, else 127.0.0.1:6379): the tests
  that need one fail when the variable is set and Redis does not answer (CI sets it),
  and are skipped without the variable on a machine without Redis.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

# The services' packages, imported before pytest puts any test folder on sys.path: the
# test folders are named after them too (tests/unit/landing, tests/integration/landing),
# and the editable installs are found only after sys.path, so a later first import
# could bind "landing" to a test folder for the rest of the run.
import analytics  # noqa: F401
import campaigns  # noqa: F401
import landing  # noqa: F401
from koers.broker import EmbeddedBroker

POSTGRES_URL = os.environ.get("KOERS_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("KOERS_TEST_REDIS_URL", "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    log_path = tmp_path_factory.mktemp("broker") / "broker.log"
    embedded = EmbeddedBroker(port=free_port(), log_path=log_path)
    embedded.start()
    yield embedded
    embedded.stop()


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    url = REDIS_URL or "redis://127.0.0.1:6379/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        if REDIS_URL:
            pytest.fail(f"KOERS_TEST_REDIS_URL is set but Redis does not answer: {error}")
        pytest.skip("no Redis at 127.0.0.1:6379 (set KOERS_TEST_REDIS_URL to require one)")
    finally:
        client.close()
    return url


@pytest.fixture(scope="session")
def _postgres_databases() -> Iterator[list[str]]:
    created: list[str] = []
    yield created
    if created:
        admin = sa.create_engine(_pg_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _pg_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


@pytest.fixture
def make_database_url(tmp_path: Path, _postgres_databases: list[str]) -> Callable[[str], str]:
    """``make_database_url("landing")`` -> URL of a fresh, empty database."""

    def make(service: str) -> str:
        if not POSTGRES_URL:
            return f"sqlite:///{tmp_path / f'{service}-{uuid.uuid4().hex[:8]}.db'}"
        name = f"koers_test_{service}_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(_pg_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        _postgres_databases.append(name)
        return (
            sa.engine.make_url(_pg_url(POSTGRES_URL))
            .set(database=name)
            .render_as_string(hide_password=False)
        )

    return make


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Keep each phase's report on the test item, so fixtures can print logs on failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
