"""The line-by-line conversation behind ``koers-analytics allocate --jsonl``.

One JSON request per line in, one JSON response per line out, in order. A line that is
not valid UTF-8, not JSON, not a valid request, or that the engine cannot answer gets an
``{"error": {"title", "detail", "line"}}`` object on its output line instead, and the
conversation goes on. Blank lines are skipped (no output). The engine's memory lives as
long as the conversation, as it would in a service.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import ValidationError

from analytics.allocation.contract import AllocationRequest
from analytics.allocation.engine import allocate
from analytics.allocation.memory import AllocationMemory

ERRORS_SHOWN = 5


def error_line(title: str, detail: str, line: int, **extra: Any) -> str:
    return json.dumps({"error": {"title": title, "detail": detail, "line": line, **extra}})


def validation_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic's errors as ``{"field", "message"}`` pairs (no input values echoed)."""
    return [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())) or "(request)",
            "message": str(error.get("msg", "")),
        }
        for error in exc.errors(include_url=False, include_input=False)
    ]


def answer(raw: bytes, number: int, memory: AllocationMemory) -> str | None:
    """The output line for input line ``number`` (1-based); None for a blank line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return error_line("Invalid text", f"The line is not valid UTF-8 ({exc.reason}).", number)
    if not text.strip():
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return error_line("Invalid JSON", f"{exc.msg} at column {exc.colno}.", number)
    except (RecursionError, ValueError) as exc:
        return error_line("Invalid JSON", f"The JSON cannot be read: {exc}.", number)
    if not isinstance(document, dict):
        return error_line("Invalid request", "A request must be a JSON object.", number)
    try:
        request = AllocationRequest.model_validate(document)
    except ValidationError as exc:
        errors = validation_errors(exc)
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:ERRORS_SHOWN])
        return error_line("Invalid request", summary, number, errors=errors)
    except RecursionError:
        return error_line("Invalid request", "The request is nested too deeply.", number)
    try:
        return allocate(request, memory).model_dump_json()
    except Exception as exc:  # noqa: BLE001 - one bad line must not end the conversation
        return error_line("Allocation failed", f"The engine could not answer: {exc}.", number)


def converse(lines: Iterable[bytes], write: Callable[[str], None]) -> int:
    """Answer every line through ``write``; returns how many lines were errors."""
    memory = AllocationMemory()
    errors = 0
    for number, raw in enumerate(lines, start=1):
        out = answer(raw, number, memory)
        if out is None:
            continue
        errors += out.startswith('{"error"')
        write(out)
    return errors
