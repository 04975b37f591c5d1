"""Log lines: short text in development, JSON in production, scrubbed either way."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest

from koers.logs import HIDDEN, LogFormat, configure_logging
from koers.settings import KoersSettings

pytestmark = pytest.mark.unit


@pytest.fixture
def configure() -> Iterator[Callable[[LogFormat], io.StringIO]]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def configure(log_format: LogFormat) -> io.StringIO:
        configure_logging("campaigns", log_format=log_format)
        buffer = io.StringIO()
        (handler,) = root.handlers
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(buffer)
        return buffer

    yield configure
    root.handlers[:] = handlers
    root.setLevel(level)


def test_text_is_one_short_line_with_the_service_and_extras(
    configure: Callable[[LogFormat], io.StringIO],
) -> None:
    buffer = configure("text")
    logging.getLogger("koers.workers").info("relay started", extra={"holder": "vm:1"})
    (line,) = buffer.getvalue().splitlines()
    time, rest = line.split(" ", 1)
    assert len(time) == len("12:01:02") and time.count(":") == 2
    assert rest == "INFO campaigns relay started holder=vm:1"


def test_json_stays_one_object_per_line(configure: Callable[[LogFormat], io.StringIO]) -> None:
    buffer = configure("json")
    logging.getLogger("koers.workers").warning("relay failed", extra={"count": 3})
    record = json.loads(buffer.getvalue())
    assert (record["level"], record["service"], record["count"]) == ("WARNING", "campaigns", 3)


def test_text_lines_are_scrubbed_too(configure: Callable[[LogFormat], io.StringIO]) -> None:
    buffer = configure("text")
    logging.getLogger("x").error("DETAIL:  Key (email)=(jan@example.org) already exists.")
    assert "jan@example.org" not in buffer.getvalue()
    assert HIDDEN in buffer.getvalue()


def test_migrations_and_kafka_selector_chatter_stay_out(
    configure: Callable[[LogFormat], io.StringIO],
) -> None:
    buffer = configure("text")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade 0001 -> 0002")
    logging.getLogger("kafka.net.selector").warning("Task ran for 0.109s")
    logging.getLogger("alembic.runtime.migration").error("migration failed")
    assert buffer.getvalue().splitlines()[0].endswith("ERROR campaigns migration failed")
    assert len(buffer.getvalue().splitlines()) == 1


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "text"),
        ({"KOERS_ENVIRONMENT": "production"}, "json"),
        ({"KOERS_ENVIRONMENT": "production", "KOERS_LOG_FORMAT": "text"}, "text"),
        ({"KOERS_LOG_FORMAT": "json"}, "json"),
    ],
)
def test_the_format_is_text_unless_production_or_chosen(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], expected: str
) -> None:
    for name in ("KOERS_ENVIRONMENT", "KOERS_LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert KoersSettings().log_format == expected


def test_uvicorns_coloured_copy_of_the_message_is_left_out(
    configure: Callable[[LogFormat], io.StringIO],
) -> None:
    buffer = configure("text")
    logging.getLogger("uvicorn.error").info(
        "Uvicorn running on x", extra={"color_message": "\x1b[1mx\x1b[0m"}
    )
    assert buffer.getvalue().rstrip().endswith("INFO campaigns Uvicorn running on x")


def test_a_cancelled_metadata_refresh_is_not_an_error(
    configure: Callable[[LogFormat], io.StringIO],
) -> None:
    buffer = configure("text")
    logging.getLogger("kafka.cluster").error("Metadata refresh: failed %s", "Cancelled")
    logging.getLogger("kafka.cluster").error("Metadata refresh: failed %s", "NodeNotReady")
    (line,) = buffer.getvalue().splitlines()
    assert line.endswith("Metadata refresh: failed NodeNotReady")
