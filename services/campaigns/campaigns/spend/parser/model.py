"""What the parser hands back: every row's result, and the figures per creative per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from campaigns.spend.parser.platforms import Language, Platform

RowStatus = Literal["ok", "skipped", "error"]


@dataclass(frozen=True)
class RowResult:
    """One data row of the file as the preview shows it."""

    line: int
    ad_name: str
    status: RowStatus
    message: str = ""
    """Why the row is an error, or why it was skipped ("Totals row"); empty when ok."""
    first_day: date | None = None
    last_day: date | None = None
    spend: Decimal | None = None
    impressions: int | None = None
    clicks: int | None = None
    variant_id: str | None = None
    creative_name: str | None = None

    @property
    def is_period(self) -> bool:
        return (
            self.first_day is not None
            and self.last_day is not None
            and self.last_day > self.first_day
        )


@dataclass(frozen=True)
class VariantDay:
    """A creative's delivery on one day: what one SpendRecorded event will carry."""

    variant_id: str
    day: date
    spend: Decimal
    impressions: int
    clicks: int


@dataclass(frozen=True)
class SpendExport:
    platform: Platform
    platform_label: str
    language: Language
    encoding: str
    delimiter: str
    decimal_separator: str
    header_line: int
    missing_figures: tuple[str, ...]
    """Optional figures the export has no column for (``"clicks"``, ``"impressions"``):
    unknown, recorded as 0 per day, and said so wherever a check relies on them."""
    rows: tuple[RowResult, ...]
    days: tuple[VariantDay, ...]
    """Figures of the rows that are ok, summed per creative and day, periods spread."""

    @property
    def errors(self) -> tuple[RowResult, ...]:
        return tuple(row for row in self.rows if row.status == "error")

    @property
    def importable(self) -> bool:
        """Nothing is imported partially: one row error and the whole file waits."""
        return not self.errors and bool(self.days)

    @property
    def first_day(self) -> date | None:
        return min((d.day for d in self.days), default=None)

    @property
    def last_day(self) -> date | None:
        return max((d.day for d in self.days), default=None)
