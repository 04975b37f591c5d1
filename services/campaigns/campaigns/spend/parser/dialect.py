"""Which character separates the columns, and the file split into rows of cells.

Exports use ``,`` (English locales), ``;`` (Dutch and other locales where the comma is
the decimal separator, and Excel's "CSV" there) or a tab (Google Ads' Excel download).
``csv.Sniffer`` guesses well on clean tables but is thrown by title lines above the
header, so its guess is only the first candidate: ``candidate_delimiters`` returns every
separator worth trying, best first, and the caller keeps the first one under which a
known header shows up (see ``header.locate_header``).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass

from campaigns.spend.parser.errors import NotATextFile

DELIMITERS = (";", ",", "\t")
_SNIFF_SAMPLE_CHARS = 32_768


@dataclass(frozen=True)
class CsvRow:
    line: int
    """Line number in the file of the row's first line (1-based), as a person counts."""
    cells: tuple[str, ...]


def candidate_delimiters(text: str) -> list[str]:
    """Separators to try, most likely first: the Sniffer's guess, then by frequency."""
    sample = text[:_SNIFF_SAMPLE_CHARS]
    ranked = _rank_by_consistency(sample)
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        return ranked
    return [sniffed, *(d for d in ranked if d != sniffed)]


def _rank_by_consistency(sample: str) -> list[str]:
    """Delimiters ordered by how many lines share the most common non-zero count."""
    lines = [line for line in sample.splitlines() if line.strip()][:200]

    def score(delimiter: str) -> tuple[int, int]:
        counts = Counter(line.count(delimiter) for line in lines)
        counts.pop(0, None)
        if not counts:
            return (0, 0)
        count, lines_with_it = counts.most_common(1)[0]
        return (lines_with_it, count)

    return sorted(DELIMITERS, key=score, reverse=True)


def split_rows(text: str, delimiter: str) -> list[CsvRow]:
    """Every row of the file, cells stripped of surrounding whitespace; blank rows kept out."""
    # newline="" keeps line endings inside quoted cells, as the csv module wants.
    source = io.StringIO(text.lstrip("\ufeff"), newline="")
    reader = csv.reader(source, delimiter=delimiter, quotechar='"', doublequote=True)
    rows: list[CsvRow] = []
    previous_line = 0
    try:
        for cells in reader:
            first_line = previous_line + 1
            previous_line = reader.line_num
            stripped = tuple(cell.strip().replace("\u00a0", " ") for cell in cells)
            if any(stripped):
                rows.append(CsvRow(line=first_line, cells=stripped))
    except csv.Error as exc:
        raise NotATextFile(
            f"Line {previous_line + 1} of the file cannot be read as CSV ({exc}). "
            "Please upload the export exactly as the ad platform produced it."
        ) from exc
    return rows
