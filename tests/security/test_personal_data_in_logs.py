"""Class 6 (chassis): no personal data in any log line, database errors included.

A failing insert of personal-looking values is logged through the chassis' JSON logger,
the way a consumer or an API logs an unexpected error; the captured output must not
contain any of the values. Runs on SQLite, or PostgreSQL with KOERS_TEST_DATABASE_URL
(whose messages quote values themselves: ``DETAIL: Key (email)=(...)``).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from koers.db import make_engine
from koers.logs import configure_logging

pytestmark = pytest.mark.security

NAME, EMAIL, PHONE = "Joris Bakker-Visser", "joris.bakker@example.org", "+31612345678"
PEOPLE = sa.MetaData()
people = sa.Table(
    "people",
    PEOPLE,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(200), nullable=False, unique=True),
    sa.Column("phone", sa.String(40), sa.CheckConstraint("phone LIKE '+%'"), nullable=True),
)


@pytest.fixture(params=["json", "text"])
def logged(request: pytest.FixtureRequest) -> Iterator[Callable[[], str]]:
    """The chassis' logging in each format, its stderr handler pointed at a buffer."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("test", log_format=request.param)
    buffer = io.StringIO()
    (handler,) = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer.getvalue
    root.handlers[:] = handlers
    root.setLevel(level)


def log_failed_inserts(engine: sa.Engine) -> int:
    """Three failing inserts of personal data, each logged with its traceback."""
    PEOPLE.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(people).values(name=NAME, email=EMAIL, phone=PHONE))
    failures = 0
    for values in (
        {"name": NAME, "email": EMAIL, "phone": PHONE},  # unique violation
        {"name": None, "email": "other-" + EMAIL, "phone": PHONE},  # NOT NULL violation
        {"name": NAME, "email": "third-" + EMAIL, "phone": "0" + PHONE[1:]},  # CHECK
    ):
        try:
            with engine.begin() as conn:
                conn.execute(sa.insert(people).values(**values))
        except sa.exc.DBAPIError as exc:
            failures += 1
            logging.getLogger("koers.test").exception("storing a lead failed")
            logging.getLogger("koers.test").warning("storing a lead failed: %s", exc)
    return failures


def assert_no_personal_data(output: str) -> None:
    assert output, "nothing was logged"
    for value in (NAME, EMAIL, PHONE, PHONE[1:], "Bakker"):
        assert value not in output, f"{value!r} is in the logs:\n{output}"


def test_a_failing_insert_logs_no_personal_data(
    make_database_url: Callable[[str], str], logged: Callable[[], str]
) -> None:
    engine = make_engine(make_database_url("logs"))
    try:
        assert log_failed_inserts(engine) == 3
    finally:
        engine.dispose()
    assert_no_personal_data(logged())


def test_the_logger_scrubs_an_engine_that_shows_its_parameters(
    make_database_url: Callable[[str], str], logged: Callable[[], str]
) -> None:
    """The second line of defence: an engine made without the chassis' settings."""
    url = make_database_url("logs")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = sa.create_engine(url)
    try:
        assert log_failed_inserts(engine) == 3
    finally:
        engine.dispose()
    assert_no_personal_data(logged())
