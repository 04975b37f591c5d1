"""From uploaded bytes to a checked preview: the one entry point of the parser.

``parse_spend_export`` runs the steps in order, each in its own module: decode the
bytes (``decoding``), find the separator (``dialect``), find the header below any
preamble and recognise the platform and language by its columns (``header``,
``platforms``), then read every row: totals rows skipped (``totals``), numbers and dates
in the file's own conventions (``numbers``, ``dates``), the row matched to a creative
(``matching``), period rows spread over their days (``periods``).

A problem with the file as a whole raises a ``SpendFileRejected``; a problem with a row
becomes that row's error in the result, so the marketer sees every problem at once.
Rows of one creative for the same day (a breakdown by placement, say) are added up.
Nothing here does I/O: bytes and creatives in, a ``SpendExport`` out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from campaigns.spend.parser.dates import DateError, DateOrder, detect_date_order, parse_day
from campaigns.spend.parser.decoding import decode_export
from campaigns.spend.parser.dialect import CsvRow, candidate_delimiters, split_rows
from campaigns.spend.parser.errors import (
    FileTooLarge,
    HeaderNotFound,
    NoDataRows,
    SpendFileRejected,
    TooManyRows,
)
from campaigns.spend.parser.header import LocatedHeader, locate_header, near_miss
from campaigns.spend.parser.matching import Creative, CreativeIndex
from campaigns.spend.parser.model import RowResult, SpendExport, VariantDay
from campaigns.spend.parser.numbers import (
    DecimalSeparator,
    NumberError,
    detect_decimal_separator,
    parse_count,
    parse_decimal,
)
from campaigns.spend.parser.periods import CENT, MAX_PERIOD_DAYS, days_in, spread_evenly
from campaigns.spend.parser.platforms import OPTIONAL_FIGURES, PLATFORM_LABELS, Field, Layout
from campaigns.spend.parser.totals import is_summary_of, is_totals_row

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Ten megabytes: a year of daily rows for hundreds of ads is well under one."""
MAX_DATA_ROWS = 50_000
_NUMERIC_FIELDS: tuple[Field, ...] = ("spend", "impressions", "clicks")
_DATE_FIELDS: tuple[Field, ...] = ("day", "starts", "ends")
_SUPPORTED = ", ".join(PLATFORM_LABELS.values())


def parse_spend_export(data: bytes, creatives: Sequence[Creative]) -> SpendExport:
    """Read an ad-platform export and check every row against the campaign's creatives."""
    if len(data) > MAX_FILE_BYTES:
        raise FileTooLarge(
            f"The file is {len(data) / 1_048_576:.1f} MB; at most "
            f"{MAX_FILE_BYTES // 1_048_576} MB can be imported. Export a shorter period "
            "or fewer columns."
        )
    decoded = decode_export(data)
    delimiter, rows, header = _find_table(decoded.text)
    data_rows = rows[header.index + 1 :]
    if len(data_rows) > MAX_DATA_ROWS:
        raise TooManyRows(
            f"The file has {len(data_rows):,} rows; at most {MAX_DATA_ROWS:,} can be "
            "imported at once. Export a shorter period."
        )
    layout = header.layout
    conventions = _Conventions.of(layout, data_rows, delimiter)
    index = CreativeIndex(creatives)
    results = [_read_row(row, layout, conventions, index) for row in data_rows]
    results = _settle_unnamed_rows(results)
    results = _flag_overlaps(results)
    if not any(r.status != "skipped" for r in results):
        raise NoDataRows(
            f"The file has the column names of a {layout.label} export but no rows "
            "with figures below them. Check the date range of the report and export again."
        )
    return SpendExport(
        platform=layout.platform,
        platform_label=layout.label,
        language=layout.language,
        encoding=decoded.encoding,
        delimiter=delimiter,
        decimal_separator=conventions.decimal,
        header_line=header.line,
        missing_figures=tuple(f for f in OPTIONAL_FIGURES if f not in layout.columns),
        rows=tuple(results),
        days=_per_variant_day(results),
    )


def _find_table(text: str) -> tuple[str, list[CsvRow], LocatedHeader]:
    explanation = None
    for delimiter in candidate_delimiters(text):
        try:
            rows = split_rows(text, delimiter)
        except SpendFileRejected:
            continue
        header = locate_header(rows)
        if header is not None:
            return delimiter, rows, header
        explanation = explanation or near_miss(rows)
    raise HeaderNotFound(
        (explanation + " " if explanation else "")
        + "We could not find the column names of a supported export ("
        + _SUPPORTED
        + ") in the first lines of this file. Export the report at ad level as CSV, "
        "with at least the ad name, the amount spent and the day or period."
    )


@dataclass(frozen=True)
class _Conventions:
    """How this file writes numbers and dates, decided once from all its rows."""

    decimal: DecimalSeparator
    date_order: DateOrder

    @classmethod
    def of(cls, layout: Layout, rows: Sequence[CsvRow], delimiter: str) -> _Conventions:
        numeric_fields = [f for f in _NUMERIC_FIELDS if f in layout.columns]
        numeric = [_cell(row, layout.columns[f]) for row in rows for f in numeric_fields]
        comma_default = layout.language == "nl" or delimiter == ";"
        decimal = detect_decimal_separator(numeric, default="," if comma_default else ".")
        date_fields: list[Field] = [f for f in _DATE_FIELDS if f in layout.columns]
        dates = [_cell(row, layout.columns[f]) for row in rows for f in date_fields]
        month_first = layout.month_first_dates and layout.language == "en"
        order = detect_date_order(dates, default="month_first" if month_first else "day_first")
        return cls(decimal=decimal, date_order=order)


def _cell(row: CsvRow, index: int) -> str:
    return row.cells[index] if index < len(row.cells) else ""


def _read_row(
    row: CsvRow, layout: Layout, conventions: _Conventions, index: CreativeIndex
) -> RowResult:
    columns = layout.columns
    ad_name = _cell(row, columns["ad_name"])
    if is_totals_row(row.cells, columns["ad_name"]):
        return RowResult(line=row.line, ad_name=ad_name, status="skipped", message="Totals row")
    problems: list[str] = []

    def number(field_name: Field) -> Decimal | None:
        try:
            return parse_decimal(_cell(row, columns[field_name]), conventions.decimal)
        except NumberError as exc:
            problems.append(f"{field_name}: {exc}")
            return None

    def count(field_name: Field) -> int | None:
        if field_name not in columns:
            return None  # the export leaves it out: see SpendExport.missing_figures
        try:
            value = parse_count(_cell(row, columns[field_name]), conventions.decimal)
        except NumberError as exc:
            problems.append(f"{field_name}: {exc}")
            return None
        if value is not None and value < 0:
            problems.append(f"{field_name}: cannot be negative")
        return value

    spend = number("spend")
    impressions = count("impressions")
    clicks = count("clicks")
    if spend is not None:
        if spend < 0:
            problems.append("spend: cannot be negative")
        spend = spend.quantize(CENT, rounding=ROUND_HALF_UP)
    if not ad_name and not problems and not any((spend, impressions, clicks)):
        # No name and nothing (or only zeros) to credit anyone with.
        return RowResult(line=row.line, ad_name="", status="skipped", message="Empty row")
    problems.extend(_currency_problems(row, layout))
    first_day, last_day = _period(row, layout, conventions.date_order, problems)

    creative = None
    if ad_name:
        link = _cell(row, columns["url"]) if "url" in columns else ""
        match = index.match(ad_name, link)
        creative = match.creative
        if match.error:
            problems.append(match.error)
    else:
        problems.append("the ad name is missing")

    return RowResult(
        line=row.line,
        ad_name=ad_name,
        status="error" if problems else "ok",
        message="; ".join(problems),
        first_day=first_day,
        last_day=last_day,
        spend=spend if spend is not None else (None if problems else Decimal("0.00")),
        impressions=_figure(impressions, "impressions", layout, problems),
        clicks=_figure(clicks, "clicks", layout, problems),
        variant_id=creative.variant_id if creative else None,
        creative_name=creative.name if creative else None,
    )


def _figure(
    value: int | None, field_name: Field, layout: Layout, problems: list[str]
) -> int | None:
    """A blank cell is 0; a column the export lacks stays None (unknown, not zero)."""
    if value is not None or field_name not in layout.columns:
        return value
    return None if problems else 0


def _currency_problems(row: CsvRow, layout: Layout) -> list[str]:
    currency = layout.header_currency
    if "currency" in layout.columns:
        currency = _cell(row, layout.columns["currency"]).upper() or currency
    if currency and currency not in ("EUR", "€"):
        return [f"the amounts are in {currency}; Koers records spend in euros (EUR)"]
    return []


def _period(
    row: CsvRow, layout: Layout, order: DateOrder, problems: list[str]
) -> tuple[date | None, date | None]:
    columns = layout.columns
    try:
        if "day" in columns:  # a day breakdown wins over the report's overall start/end
            day = parse_day(_cell(row, columns["day"]), order)
            return day, day
        first = parse_day(_cell(row, columns["starts"]), order)
        ends = _cell(row, columns["ends"]) if "ends" in columns else ""
        last = parse_day(ends, order) if ends else first
    except DateError as exc:
        problems.append(f"date: {exc}")
        return None, None
    if last < first:
        problems.append(f"the period ends ({last}) before it starts ({first})")
        return first, last
    if days_in(first, last) > MAX_PERIOD_DAYS:
        problems.append(f"the period {first} to {last} is longer than a year")
    return first, last


def _settle_unnamed_rows(results: list[RowResult]) -> list[RowResult]:
    """An unnamed row equal to the sum of the named rows is Meta's summary: skip it."""
    named = [r.spend for r in results if r.ad_name and r.spend is not None]
    if any(r.ad_name and r.status == "error" and r.spend is None for r in results):
        return results  # sums are unreliable when a named row could not be read
    settled = []
    for result in results:
        unnamed = not result.ad_name and result.status == "error"
        if unnamed and result.spend is not None and is_summary_of(result.spend, named):
            result = replace(
                result, status="skipped", message="Summary row (the sum of the other rows)"
            )
        settled.append(result)
    return settled


def _flag_overlaps(results: list[RowResult]) -> list[RowResult]:
    """Two different periods of one creative that share days would count those days twice.

    Rows with the very same period are fine: they are a breakdown (e.g. by placement)
    and are added up. Of two clashing periods, the rows of the one that comes later in
    the file get the error. A sweep over the periods sorted by start keeps this
    O(n log n) for files with tens of thousands of rows.
    """
    first_line: dict[str, dict[tuple[date, date], int]] = defaultdict(dict)
    for result in results:
        if result.status == "ok" and result.variant_id and result.first_day and result.last_day:
            periods = first_line[result.variant_id]
            periods.setdefault((result.first_day, result.last_day), result.line)
    clashes: dict[tuple[str, date, date], int] = {}  # period -> line of the other period
    for variant_id, periods in first_line.items():
        reach: tuple[date, date] | None = None  # the period reaching furthest so far
        for period in sorted(periods):
            if reach is not None and period[0] <= reach[1]:
                later, earlier = (
                    (period, reach) if periods[period] > periods[reach] else (reach, period)
                )
                clashes.setdefault((variant_id, *later), periods[earlier])
            if reach is None or period[1] > reach[1]:
                reach = period
    if not clashes:
        return results
    flagged = []
    for result in results:
        other_line = None
        if result.status == "ok" and result.variant_id and result.first_day and result.last_day:
            other_line = clashes.get((result.variant_id, result.first_day, result.last_day))
        if other_line is not None:
            result = replace(
                result,
                status="error",
                message=(
                    f"overlaps the period of line {other_line} for the same creative; "
                    "export either days or periods, not both"
                ),
            )
        flagged.append(result)
    return flagged


def _per_variant_day(results: Sequence[RowResult]) -> tuple[VariantDay, ...]:
    totals: dict[tuple[str, date], list[Decimal | int]] = {}
    for result in results:
        if (
            result.status != "ok"
            or result.variant_id is None
            or result.first_day is None
            or result.last_day is None
        ):
            continue
        shares = spread_evenly(
            result.first_day,
            result.last_day,
            spend=result.spend or Decimal(0),
            impressions=result.impressions or 0,
            clicks=result.clicks or 0,
        )
        for share in shares:
            total = totals.setdefault((result.variant_id, share.day), [Decimal(0), 0, 0])
            total[0] += share.spend
            total[1] += share.impressions
            total[2] += share.clicks
    return tuple(
        VariantDay(
            variant_id=variant_id,
            day=day,
            spend=Decimal(spend),
            impressions=int(impressions),
            clicks=int(clicks),
        )
        for (variant_id, day), (spend, impressions, clicks) in sorted(totals.items())
    )
