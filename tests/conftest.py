"""Fixtures shared by every test tier.

- ``broker``: one real embedded broker (Tansu, Kafka protocol) per test module.
- ``make_database_url``: a fresh, empty database per call: a temporary SQLite file, or,
  when ``KOERS_TEST_DATABASE_URL`` points at PostgreSQL, a new database on that server
  (dropped at the end of the session).
- ``make_migrated_database_url``: the same, already at a service's newest revision. The
  migrations run once per session and service (per xdist worker): on PostgreSQL into a
  template database that a call copies with ``CREATE DATABASE ... TEMPLATE`` unless an
  earlier test's copy was emptied for it (``_EmptiedDatabases``), on SQLite into a file
  that each call copies. A test of the migrations themselves takes an
  empty database from ``make_database_url`` and runs them.
- ``redis_url``: a real Redis (``KOERS_TEST_REDIS_URL``, else 127.0.0.1:6379): the tests
  that need one fail when the variable is set and Redis does not answer (CI sets it),
  and are skipped without the variable on a machine without Redis.

Tests that take a database (either fixture, directly or through another fixture) are
marked ``db``: CI runs them a second time on SQLite, the rest once.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from psycopg import sql

# The services' packages, imported before pytest puts any test folder on sys.path: the
# test folders are named after them too (tests/unit/landing, tests/integration/landing),
# and the editable installs are found only after sys.path, so a later first import
# could bind "landing" to a test folder for the rest of the run.
import analytics  # noqa: F401
import campaigns  # noqa: F401
import landing  # noqa: F401
from analytics.storage.schema import migrate_database as migrate_analytics
from campaigns.cli import migrate_database as migrate_campaigns
from koers.broker import EmbeddedBroker
from koers.db import migrate
from landing.cli import MIGRATIONS_DIR as LANDING_MIGRATIONS

POSTGRES_URL = os.environ.get("KOERS_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("KOERS_TEST_REDIS_URL", "")
DROP_CONNECTIONS = 8
_ADMIN_CONNINFO = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://", 1)
"""The server's maintenance database, as psycopg (not SQLAlchemy) spells it."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    # One per module, not per session: tests read topics from the beginning, and under
    # xdist the modules a worker runs before this one (and what they left on the topics,
    # poison records included) differ from run to run.
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


class _PostgresDatabases:
    """The databases this worker created on PostgreSQL, and their removal.

    Each DROP DATABASE waits for a checkpoint, and waiting drops issued side by side
    share one. Left to the end of the session, a worker's hundreds of drops kept it
    busy for minutes (measured: 167 s on a busy machine) while the run waited for it;
    dropped in the background as each test ends, they overlap the tests that follow and
    share their checkpoints, and the end waits only for the last few."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(DROP_CONNECTIONS, thread_name_prefix="drop-database")
        self._pending: list[Future[None]] = []
        self.kept: list[str] = []  # the templates, dropped at the end

    @staticmethod
    def _drop(name: str) -> None:
        # psycopg, not an SQLAlchemy pool: the pool logs each checkout at DEBUG, and
        # from this thread such a line could reach a handler a test has closed.
        with psycopg.connect(_ADMIN_CONNINFO, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def drop_later(self, names: list[str]) -> None:
        self._pending.extend(self._pool.submit(self._drop, name) for name in names)

    def drop_all(self) -> None:
        self.drop_later(self.kept)
        self._pool.shutdown(wait=True)
        for dropped in self._pending:
            dropped.result()  # a drop that failed fails the session's teardown


@pytest.fixture(scope="session")
def _postgres_databases() -> Iterator[_PostgresDatabases]:
    databases = _PostgresDatabases()
    yield databases
    databases.drop_all()


def _pg_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


@pytest.fixture
def make_database_url(
    tmp_path: Path, _postgres_databases: _PostgresDatabases
) -> Iterator[Callable[[str], str]]:
    """``make_database_url("landing")`` -> URL of a fresh, empty database."""
    created: list[str] = []

    def make(service: str) -> str:
        if not POSTGRES_URL:
            return f"sqlite:///{tmp_path / f'{service}-{uuid.uuid4().hex[:8]}.db'}"
        name = f"koers_test_{service}_{uuid.uuid4().hex[:10]}"
        _create_postgres_database(name)
        created.append(name)
        return _postgres_database_url(name)

    yield make
    _postgres_databases.drop_later(created)


MIGRATIONS: dict[str, Callable[[str], None]] = {
    "campaigns": migrate_campaigns,
    "landing": lambda url: migrate(url, LANDING_MIGRATIONS),
    "analytics": migrate_analytics,
}
DATABASE_FIXTURES = frozenset({"make_database_url", "make_migrated_database_url"})


@pytest.fixture(scope="session")
def _migrated_templates(
    tmp_path_factory: pytest.TempPathFactory, _postgres_databases: _PostgresDatabases
) -> Callable[[str], str]:
    """``template("landing")`` -> a database at the service's newest revision, built on
    first use and never written to afterwards (every test gets a copy)."""
    templates: dict[str, str] = {}

    def template(service: str) -> str:
        if service not in templates:
            if POSTGRES_URL:
                name = f"koers_template_{service}_{uuid.uuid4().hex[:10]}"
                _create_postgres_database(name)
                _postgres_databases.kept.append(name)
                MIGRATIONS[service](_postgres_database_url(name))
                templates[service] = name
            else:
                path = tmp_path_factory.mktemp("templates") / f"{service}.db"
                MIGRATIONS[service](f"sqlite:///{path}")
                templates[service] = str(path)
        return templates[service]

    return template


class _EmptiedDatabases:
    """Migrated PostgreSQL databases a test has finished with, emptied for the next one.

    ``CREATE DATABASE ... TEMPLATE`` copies a whole database, system catalogue and all
    (0.35 s here, most of it waiting for the disk), and the suite made about a thousand;
    deleting the few rows a test wrote takes milliseconds. A database is handed out
    again only when it still has exactly the template's tables and revision and empties
    within a short lock timeout; anything else (a test that changed the schema, a lock a
    killed process left) is dropped as before."""

    def __init__(self) -> None:
        self._free: dict[str, list[str]] = {}
        self._shape: dict[str, tuple[frozenset[str], str]] = {}  # service -> tables, revision

    def take(self, service: str) -> str | None:
        free = self._free.get(service)
        return free.pop() if free else None

    def give_back(self, service: str, name: str, template: str) -> bool:
        """Empty ``name`` for the next test; False when it cannot be (drop it then)."""
        try:
            if service not in self._shape:
                with psycopg.connect(_conninfo(template)) as conn:
                    self._shape[service] = _shape_of(conn)
            _terminate_other_sessions(name)
            with psycopg.connect(_conninfo(name), options="-c lock_timeout=2000") as conn:
                shape = _shape_of(conn)
                if shape != self._shape[service]:
                    return False
                conn.execute("SET LOCAL synchronous_commit = off")
                # Triggers (foreign keys among them) off: the tables empty in any order.
                conn.execute("SET LOCAL session_replication_role = replica")
                for table in sorted(shape[0] - {"alembic_version"}):
                    conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
                conn.execute(
                    "SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false)"
                    " FROM pg_sequences WHERE schemaname = 'public'"
                )
        except psycopg.Error:
            return False
        self._free.setdefault(service, []).append(name)
        return True

    def all(self) -> list[str]:
        return [name for names in self._free.values() for name in names]


def _conninfo(database: str) -> str:
    return _postgres_database_url(database).replace("postgresql+psycopg://", "postgresql://", 1)


def _terminate_other_sessions(database: str) -> None:
    # A test's engines may still hold idle connections, and a killed process's session
    # may linger with its locks: ended, as DROP DATABASE ... WITH (FORCE) would.
    with psycopg.connect(_ADMIN_CONNINFO, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        )


def _shape_of(conn: psycopg.Connection[tuple[object, ...]]) -> tuple[frozenset[str], str]:
    tables = frozenset(
        row[0]
        for row in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname NOT IN"
            " ('pg_catalog', 'information_schema', 'pg_toast')"
        )
    )
    revision = ",".join(
        sorted(str(row[0]) for row in conn.execute("SELECT version_num FROM alembic_version"))
    )
    return tables, revision


@pytest.fixture(scope="session")
def _emptied_databases(_postgres_databases: _PostgresDatabases) -> Iterator[_EmptiedDatabases]:
    emptied = _EmptiedDatabases()
    yield emptied
    _postgres_databases.drop_later(emptied.all())


@pytest.fixture
def make_migrated_database_url(
    tmp_path: Path,
    _postgres_databases: _PostgresDatabases,
    _migrated_templates: Callable[[str], str],
    _emptied_databases: _EmptiedDatabases,
) -> Iterator[Callable[[str], str]]:
    """``make_migrated_database_url("landing")`` -> URL of a fresh database at the newest
    revision of ``campaigns``, ``landing`` or ``analytics``: on PostgreSQL an emptied one
    an earlier test used, else a copy of the template."""
    used: list[tuple[str, str, str]] = []  # service, database, its template

    def make(service: str) -> str:
        template = _migrated_templates(service)
        if not POSTGRES_URL:
            path = tmp_path / f"{service}-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(template, path)
            return f"sqlite:///{path}"
        name = _emptied_databases.take(service)
        if name is None:
            name = f"koers_test_{service}_{uuid.uuid4().hex[:10]}"
            _create_postgres_database(name, template=template)
        used.append((service, name, template))
        return _postgres_database_url(name)

    yield make
    _postgres_databases.drop_later(
        [
            name
            for service, name, template in used
            if not _emptied_databases.give_back(service, name, template)
        ]
    )


def _create_postgres_database(name: str, template: str | None = None) -> None:
    statement = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
    admin = sa.create_engine(_pg_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(statement))
    admin.dispose()


def _postgres_database_url(name: str) -> str:
    return (
        sa.engine.make_url(_pg_url(POSTGRES_URL))
        .set(database=name)
        .render_as_string(hide_password=False)
    )


# The modules that take longest, longest first (measured with --durations on the
# two-core machine). pytest-xdist hands out modules (--dist loadscope) in collection
# order, so these start first and the short ones fill the gaps after them; left in
# place (or in xdist's default order, most tests first) these modules of one or two
# slow tests came last and one worker ran them alone for minutes. The tiers that start
# real processes follow (a module added there is likely slow too), then the rest, each
# in its usual order.
SLOWEST_MODULES = (
    "tests/reliability/test_broker_restart_and_poison.py",
    "tests/dags/test_jobs_page_airflow.py",
    "tests/dags/test_airflow_dags.py",
    "tests/e2e/test_thin_slice.py",
    "tests/reliability/test_broker_outage.py",
    "tests/reliability/test_landing_kill.py",
    "tests/e2e/test_make_demo.py",
    "tests/reliability/test_broker_amnesia.py",
    "tests/dags/test_airflow_scheduler.py",
    "tests/security/test_standalone_installs.py",
    "tests/reliability/test_consumer_crash.py",
    "tests/unit/campaigns/test_dashboard_pages.py",
    "tests/browser/test_console_layout.py",
    "tests/browser/test_console_dutch.py",
    "tests/reliability/test_landing_replica_processes.py",
    "tests/integration/test_messaging_batch_crash.py",
    "tests/security/test_body_limits.py",
    "tests/browser/test_page_builder_browser.py",
    "tests/security/test_consumer_broker_restart.py",
)
PROCESS_TIERS = ("tests/dags/", "tests/reliability/", "tests/e2e/", "tests/browser/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that takes a database ``db`` (see the module docstring), and
    put the slowest modules first (see ``SLOWEST_MODULES``)."""
    for item in items:
        if DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)
    rank = {module: place for place, module in enumerate(SLOWEST_MODULES)}

    def place(item: pytest.Item) -> int:
        module = item.nodeid.split("::", 1)[0]
        if module in rank:
            return rank[module]
        return len(rank) + (0 if module.startswith(PROCESS_TIERS) else 1)

    items.sort(key=place)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Keep each phase's report on the test item, so fixtures can print logs on failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
