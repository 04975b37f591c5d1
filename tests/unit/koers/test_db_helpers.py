import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from koers.db import UtcDateTime, make_engine, upsert

pytestmark = pytest.mark.integration

metadata = sa.MetaData()
counters = sa.Table(
    "counters",
    metadata,
    sa.Column("key", sa.String(20), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("label", sa.String(20)),
    sa.Column("at", UtcDateTime()),
)


def test_upsert_adds_replaces_or_skips_and_times_read_back_in_utc(
    make_database_url: Callable[[str], str],
) -> None:
    engine = make_engine(make_database_url("chassis"))
    metadata.create_all(engine)
    naive = datetime(2026, 1, 5, 9, 30)
    with engine.begin() as conn:
        upsert(
            conn, counters, {"key": "a", "count": 1, "label": "x", "at": naive}, ["count"], add=True
        )
        upsert(
            conn,
            counters,
            [
                {"key": "a", "count": 2, "label": "y", "at": naive},
                {"key": "b", "count": 5, "label": "z", "at": naive},
            ],
            ["count"],
            add=True,
        )
        upsert(conn, counters, {"key": "b", "count": 9, "label": "w", "at": naive}, ["label"])
        upsert(conn, counters, {"key": "b", "count": 0, "label": "skipped", "at": naive}, [])
        rows = {row.key: row for row in conn.execute(sa.select(counters))}
    assert (rows["a"].count, rows["a"].label) == (3, "x")
    assert (rows["b"].count, rows["b"].label) == (5, "w")
    assert rows["a"].at == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    engine.dispose()


def test_no_statement_or_row_is_logged_even_with_the_root_logger_at_debug(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)  # as a debugging session
    caplog.set_level(logging.DEBUG)
    engine = make_engine(f"sqlite:///{tmp_path / 'rows.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE people (email TEXT)"))
        conn.execute(sa.text("INSERT INTO people VALUES ('jan@example.org')"))
        assert conn.execute(sa.text("SELECT email FROM people")).scalar() == "jan@example.org"
    engine.dispose()
    assert not [r for r in caplog.records if "jan@example.org" in r.getMessage()]
