"""Logs on stderr, one line per record, with no personal data.

Two formats: JSON objects for production (what a log shipper parses), and short text
lines for a developer's terminal (``12:01:02 INFO campaigns relay started count=3``).
``KoersSettings.log_format`` picks one: ``KOERS_LOG_FORMAT`` if set, else JSON in
production and text everywhere else.

Database errors are the usual leak: SQLAlchemy's message of a failed statement ends with
its parameters (a candidate's name, e-mail, phone), and PostgreSQL's own message quotes
the offending value (``DETAIL: Key (email)=(...) already exists``). Engines from
``koers.db.make_engine`` hide the parameters; this formatter scrubs what is left from the
message and the traceback of every record, as a second line of defence.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, Literal

from pythonjsonlogger.json import JsonFormatter

HIDDEN = "[hidden]"
_SCRUBS = (
    # SQLAlchemy: "[parameters: (...)]" up to its "(Background on this error ...)" line.
    (
        re.compile(r"\[parameters: .*?(?=\n\(Background on this error|\Z)", re.DOTALL),
        f"[parameters: {HIDDEN}]",
    ),
    # PostgreSQL: "DETAIL:  Key (email)=(jan@example.org) already exists." and friends.
    (re.compile(r"(DETAIL:|HINT:|CONTEXT:)[^\n]*"), rf"\1 {HIDDEN}"),
    (
        re.compile(r"Key \(([^)]*)\)=\(.*?\)(?= already exists| is not present|\.|$)"),
        r"Key (\1)=(…)",
    ),
    # PostgreSQL quotes a value it cannot take: 'invalid input syntax for type x: "..."'.
    (re.compile(r'(invalid input (?:syntax|value) for [^:\n]*: )"[^"\n]*"'), rf"\1{HIDDEN}"),
    # psycopg's "Failing row contains (...)" of a NOT NULL or CHECK violation.
    (
        re.compile(r"Failing row contains \(.*?\)(?=\.?\n|\.?$)", re.MULTILINE),
        f"Failing row {HIDDEN}",
    ),
)


def scrub(text: str) -> str:
    """``text`` without statement parameters or values quoted by the database."""
    for pattern, replacement in _SCRUBS:
        text = pattern.sub(replacement, text)
    return text


class ScrubbingJsonFormatter(JsonFormatter):
    """The JSON formatter, with :func:`scrub` applied to the message and traceback."""

    def formatException(self, ei: Any) -> str:
        return scrub(str(super().formatException(ei)))

    def formatStack(self, stack_info: str) -> str:
        return scrub(str(super().formatStack(stack_info)))

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        for key in ("message", "exc_info", "stack_info"):
            value = log_data.get(key)
            if isinstance(value, str):
                log_data[key] = scrub(value)


# Attributes every LogRecord has; anything else on a record came in through ``extra=``.
# uvicorn's ``color_message`` repeats the message with terminal colours.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "color_message",
}


class ScrubbingTextFormatter(logging.Formatter):
    """``12:01:02 INFO campaigns relay started count=3``: one scrubbed line per record.

    The logger's name is left out (the message says what happened); ``extra=`` fields
    follow as ``key=value``. A traceback stays below its line, scrubbed like the rest.
    """

    def __init__(self, service: str) -> None:
        super().__init__(f"%(asctime)s %(levelname)s {service} %(message)s", datefmt="%H:%M:%S")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        extras = {k: v for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES}
        if extras:
            line += " " + " ".join(f"{key}={value}" for key, value in extras.items())
        return line

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class _CancelledRefresh(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Metadata refresh: failed Cancelled")


LogFormat = Literal["json", "text"]


def json_formatter(service: str) -> ScrubbingJsonFormatter:
    return ScrubbingJsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        static_fields={"service": service},
    )


def configure_logging(service: str, level: str = "INFO", log_format: LogFormat = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    formatter = json_formatter(service) if log_format == "json" else ScrubbingTextFormatter(service)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # kafka-python is chatty at INFO about every connection, and its selector warns when
    # a task takes over 100 ms, which a busy laptop or CI runner makes routine.
    logging.getLogger("kafka").setLevel(logging.WARNING)
    logging.getLogger("kafka.net.selector").setLevel(logging.ERROR)
    # Closing a client cancels its in-flight metadata request, which kafka-python logs as
    # an ERROR ("Metadata refresh: failed Cancelled") though nothing failed.
    cluster = logging.getLogger("kafka.cluster")
    if not any(isinstance(f, _CancelledRefresh) for f in cluster.filters):
        cluster.addFilter(_CancelledRefresh())
    # Alembic logs its plugins and every revision at INFO; the migrate commands say
    # themselves that the database is up to date, and errors still come through.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # SQLAlchemy logs statements with their parameters (personal data) at INFO: never.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    # uvicorn's own logging config (used by an in-process server) gives its loggers their
    # own handlers and stops them at "uvicorn"; ours then never sees them. One root rules.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.disabled = False
        logger.setLevel(logging.NOTSET)
