"""Database engines and migrations: SQLite (embedded default, WAL) or PostgreSQL."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeDecorator

WRITE_OPTION = "koers_write"


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and enforced foreign keys.

    Statement parameters are left out of error messages (``hide_parameters``): they hold
    candidates' names, e-mail addresses and phone numbers, and errors end up in logs.
    """
    kwargs.setdefault("hide_parameters", True)
    # SQLAlchemy logs every statement and every row it reads (personal data) once its
    # logger allows INFO or DEBUG, whoever lowered the level (a root logger at DEBUG is
    # enough): the engine log stays at WARNING, so nothing but errors ever comes out.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            database_url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, decide when transactions begin, so that
            # BEGIN IMMEDIATE below really takes the write lock up front.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # Write transactions take the lock up front, so two writers queue on it
            # instead of failing with "database is locked" when both upgrade from read
            # to write; readers stay deferred and never block each other (WAL).
            immediate = conn.get_execution_options().get(WRITE_OPTION, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(database_url, pool_pre_ping=True, **kwargs)


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One unit of work that writes: commit on success, roll back on any error."""
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn, conn.begin():
        yield conn


def as_utc(moment: datetime) -> datetime:
    """A stored moment as an aware UTC datetime.

    SQLite keeps no time zone: what went in as UTC comes back naive. Everything Koers
    stores is UTC, so a naive value read back is UTC.
    """
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A ``timestamp with time zone`` that always reads back as an aware UTC datetime,
    on SQLite (which drops the zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


UpsertStatement = sqlite.Insert | postgresql.Insert


@functools.lru_cache(maxsize=256)
def _upsert_statement(
    dialect: str, table: Table, keys: tuple[str, ...], update: tuple[str, ...], add: bool
) -> UpsertStatement:
    # Building a statement costs far more than executing it; consumers upsert per event,
    # so each shape is built once and executed with the rows as parameters.
    statement: UpsertStatement
    if dialect == "sqlite":
        statement = sqlite.insert(table)
    elif dialect == "postgresql":
        statement = postgresql.insert(table)
    else:
        raise RuntimeError(f"Koers supports SQLite and PostgreSQL, not {dialect}")
    index = list(keys) or [column.name for column in table.primary_key.columns]
    if not update:
        return statement.on_conflict_do_nothing(index_elements=index)
    refused = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=index,
        set_={
            column: (table.c[column] + refused[column]) if add else refused[column]
            for column in update
        },
    )


def upsert(
    conn: Connection,
    table: Table,
    rows: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    update: Iterable[str],
    *,
    keys: Iterable[str] = (),
    add: bool = False,
) -> None:
    """Insert rows; on a conflict of ``keys`` (default: the primary key) update ``update``.

    With ``add`` the refused row's values are added to the stored ones (counters),
    otherwise they replace them; with no ``update`` columns a conflicting row is skipped.
    One statement in the database's own dialect (``INSERT ... ON CONFLICT``), so two
    writers of the same key never race between a read and a write.
    """
    statement = _upsert_statement(conn.dialect.name, table, tuple(keys), tuple(sorted(update)), add)
    params = [dict(row) for row in rows] if isinstance(rows, Sequence) else dict(rows)
    if params:
        conn.execute(statement, params)


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def migrate(database_url: str, script_location: Path) -> None:
    """Bring a service's database to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["database_url"] = database_url
    command.upgrade(config, "head")


def run_alembic_env(target_metadata: Any = None) -> None:
    """Body of every service's ``migrations/env.py`` (online mode only)."""
    from alembic import context

    config = context.config
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database_url given to the migration")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=target_metadata)
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
    finally:
        engine.dispose()
