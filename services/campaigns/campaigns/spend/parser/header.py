"""Finding the header row below whatever the platform wrote above it.

LinkedIn puts the report's name, its start and end, the date it was generated and the
account above the table; Google Ads a title and a date range. The header is the first
row, among the first ``MAX_PREAMBLE_ROWS``, that a platform in ``platforms.CATALOGUE``
recognises as its own header. Everything above it is preamble and ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from campaigns.spend.parser.dialect import CsvRow
from campaigns.spend.parser.platforms import Layout, detect_layout, explain_near_miss

MAX_PREAMBLE_ROWS = 30


@dataclass(frozen=True)
class LocatedHeader:
    index: int
    """Position of the header among the file's non-blank rows."""
    line: int
    """Line number of the header in the file (1-based)."""
    layout: Layout


def locate_header(rows: Sequence[CsvRow]) -> LocatedHeader | None:
    """The first recognised header row among the file's first rows, or None."""
    for index, row in enumerate(rows[: MAX_PREAMBLE_ROWS + 1]):
        layout = detect_layout(row.cells)
        if layout is not None:
            return LocatedHeader(index=index, line=row.line, layout=layout)
    return None


def near_miss(rows: Sequence[CsvRow]) -> str | None:
    """Why the likeliest header row was not accepted (columns it lacks), if any row came close."""
    for row in rows[: MAX_PREAMBLE_ROWS + 1]:
        explanation = explain_near_miss(row.cells)
        if explanation is not None:
            return f"Line {row.line}: {explanation}"
    return None
