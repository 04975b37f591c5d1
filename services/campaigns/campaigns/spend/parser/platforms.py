"""Which ad platform wrote a file, in which language, and where each figure sits.

A platform is recognised by its column names alone (file names get changed, and the
platforms put nothing else in the file that says who wrote it). Each platform lists,
for every figure Koers needs, the header texts it writes in English and in Dutch;
headers are compared after ``normalise_header`` (case, spacing, non-breaking spaces and
a byte-order mark do not matter).

What was modelled, from the platforms' help pages and exports seen in public code
(column names as of 2025-2026; the platforms rename columns now and then, so an unknown
export is refused with a message naming the columns we expected, never guessed at):

- **Meta Ads Manager**, "Export table data" as CSV at ad level, English and Dutch UI:
  ``Ad name``/``Advertentienaam``/``Naam advertentie``; a ``Day``/``Dag`` column when
  broken down by day, else ``Reporting starts``/``Reporting ends`` (Dutch ``Rapportage
  begint``/``Rapportage eindigt`` or ``Start rapportage``/``Einde rapportage``) per row;
  ``Amount spent (EUR)``/``Besteed bedrag (EUR)`` (the currency sits in the header);
  ``Impressions``/``Weergaven``/``Vertoningen``; ``Link clicks``/``Klikken op link(s)``/
  ``Linkklikken`` (falling back to ``Clicks (all)``/``Klikken (alle)``). With a day
  breakdown Meta still writes the report's overall start and end on every row: the
  ``Day`` column wins.
- **LinkedIn Campaign Manager**, "Creative performance" report as CSV (English): a few
  title lines (report name, "Report Start", "Report End", "Date Generated", the
  account), then ``Start Date (in UTC)``, ``End Date (in UTC)`` (one row per day with
  the daily time breakdown, one row per period otherwise), ``Creative Name`` (newer
  exports: ``Ad Name``), ``Total Spent`` with a ``Currency`` column, ``Impressions``,
  ``Clicks``, ``Click URL``. Dates are written month first (11/23/2026).
- **TikTok Ads Manager**, custom report at ad level exported as CSV: ``By Day`` (or
  ``Date``), ``Ad name``, ``Cost`` (optionally ``Cost (EUR)``), ``Impressions``,
  ``Clicks (destination)``, ``Currency``.
- **Google Ads**, a report downloaded as CSV (UTF-8, commas) or "CSV (Excel)" (UTF-16,
  tabs): a title line and a date-range line above the header, ``Day``, ``Ad name`` (or
  ``Ad``), ``Currency code``, ``Cost``, ``Impr.``, ``Clicks``, ``Final URL``; English
  and Dutch (``Dag``, ``Advertentie``, ``Valutacode``, ``Kosten``, ``Vert.``,
  ``Klikken``) UIs; ``--`` for "no value"; ``Total: Account``-style rows at the end.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Platform = Literal["meta", "linkedin", "tiktok", "google_ads"]
Field = Literal[
    "ad_name", "day", "starts", "ends", "spend", "impressions", "clicks", "url", "currency"
]
Language = Literal["en", "nl"]

PLATFORM_LABELS: dict[Platform, str] = {
    "meta": "Meta Ads Manager",
    "linkedin": "LinkedIn Campaign Manager",
    "tiktok": "TikTok Ads Manager",
    "google_ads": "Google Ads",
}
FIELD_LABELS: dict[Field, str] = {
    "ad_name": "the ad name",
    "day": "the day",
    "starts": "the start of the reporting period",
    "ends": "the end of the reporting period",
    "spend": "the amount spent",
    "impressions": "impressions",
    "clicks": "clicks",
    "url": "the ad's link",
    "currency": "the currency",
}
REQUIRED: tuple[Field, ...] = ("ad_name", "spend")
"""What attributes spend to a creative (plus a day or period, checked apart): every other
figure is optional, since marketers pick their columns and the platforms' default column
sets differ (Meta's "Performance" preset has results and reach but no link clicks)."""
OPTIONAL_FIGURES: tuple[Field, ...] = ("impressions", "clicks")
_CURRENCY_SUFFIX = re.compile(r"^(?P<name>.+?)\s*\((?P<currency>[a-z]{3})\)$")


@dataclass(frozen=True)
class Alias:
    header: str
    """A normalised header text (see ``normalise_header``)."""
    language: Language
    currency_suffix: bool = False
    """The platform writes the currency behind it: ``Amount spent (EUR)``."""


def _en(*headers: str, currency_suffix: bool = False) -> tuple[Alias, ...]:
    return tuple(Alias(h, "en", currency_suffix) for h in headers)


def _nl(*headers: str, currency_suffix: bool = False) -> tuple[Alias, ...]:
    return tuple(Alias(h, "nl", currency_suffix) for h in headers)


@dataclass(frozen=True)
class PlatformColumns:
    platform: Platform
    columns: dict[Field, tuple[Alias, ...]]
    month_first_dates: bool = False
    """Numeric dates without other evidence are read month first (US style)."""

    @property
    def label(self) -> str:
        return PLATFORM_LABELS[self.platform]


CATALOGUE: tuple[PlatformColumns, ...] = (
    PlatformColumns(
        platform="meta",
        columns={
            "ad_name": _en("ad name") + _nl("advertentienaam", "naam advertentie"),
            "day": _en("day") + _nl("dag"),
            "starts": _en("reporting starts")
            + _nl("rapportage begint", "start rapportage", "begin rapportage"),
            "ends": _en("reporting ends")
            + _nl("rapportage eindigt", "einde rapportage", "eind rapportage"),
            "spend": _en("amount spent", currency_suffix=True)
            + _nl("bedrag besteed", "besteed bedrag", currency_suffix=True),
            "impressions": _en("impressions") + _nl("weergaven", "vertoningen"),
            "clicks": _en("link clicks", "clicks (all)")
            + _nl("klikken op link", "klikken op links", "linkklikken", "klikken (alle)"),
            "url": _en("website url", "url parameters") + _nl("website-url", "url-parameters"),
            "currency": _en("currency") + _nl("valuta"),
        },
    ),
    PlatformColumns(
        platform="linkedin",
        columns={
            "ad_name": _en("creative name", "ad name"),
            "starts": _en("start date (in utc)"),
            "ends": _en("end date (in utc)"),
            "spend": _en("total spent", "amount spent", currency_suffix=True),
            "impressions": _en("impressions"),
            "clicks": _en("clicks"),
            "url": _en("click url"),
            "currency": _en("currency"),
        },
        month_first_dates=True,
    ),
    PlatformColumns(
        platform="tiktok",
        columns={
            "ad_name": _en("ad name"),
            "day": _en("by day", "date", "day"),
            "spend": _en("cost", "total cost", currency_suffix=True),
            "impressions": _en("impressions"),
            "clicks": _en("clicks (destination)", "clicks"),
            "currency": _en("currency"),
        },
    ),
    PlatformColumns(
        platform="google_ads",
        columns={
            "ad_name": _en("ad name", "ad") + _nl("advertentienaam", "advertentie"),
            "day": _en("day", "date") + _nl("dag", "datum"),
            "spend": _en("cost", currency_suffix=True) + _nl("kosten", currency_suffix=True),
            "impressions": _en("impr.") + _nl("vert.", "vertoningen"),
            "clicks": _en("clicks") + _nl("klikken"),
            "url": _en("final url") + _nl("uiteindelijke url", "definitieve url"),
            "currency": _en("currency code", "currency") + _nl("valutacode", "valuta"),
        },
    ),
)


def normalise_header(text: str) -> str:
    """``"\\ufeff Amount  Spent (EUR) "`` -> ``"amount spent (eur)"``."""
    text = unicodedata.normalize("NFKC", text).replace("\ufeff", "").strip().strip('"')
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class Layout:
    """Where a recognised export keeps each figure."""

    platform: Platform
    language: Language
    columns: dict[Field, int]
    """Field -> index of its column; only the fields the file has."""
    header_currency: str | None
    """The currency written in the spend column's header (``EUR``), if any."""
    month_first_dates: bool

    @property
    def label(self) -> str:
        return PLATFORM_LABELS[self.platform]


@dataclass(frozen=True)
class _Attempt:
    spec: PlatformColumns
    columns: dict[Field, int]
    languages: tuple[Language, ...]
    header_currency: str | None

    @property
    def missing(self) -> list[Field]:
        missing: list[Field] = [f for f in REQUIRED if f not in self.columns]
        if "day" not in self.columns and "starts" not in self.columns:
            missing.append("day" if "day" in self.spec.columns else "starts")
        return missing


def _attempt(spec: PlatformColumns, headers: list[str]) -> _Attempt:
    columns: dict[Field, int] = {}
    languages: list[Language] = []
    header_currency: str | None = None
    for field_name, aliases in spec.columns.items():
        found = _find(aliases, headers)  # the first alias wins: "Link clicks" over "Clicks (all)"
        if found is not None:
            index, alias, currency = found
            columns[field_name] = index
            languages.append(alias.language)
            if field_name == "spend":
                header_currency = currency
    return _Attempt(spec, columns, tuple(languages), header_currency)


def _find(aliases: tuple[Alias, ...], headers: list[str]) -> tuple[int, Alias, str | None] | None:
    for alias in aliases:
        for index, header in enumerate(headers):
            if header == alias.header:
                return index, alias, None
            if alias.currency_suffix:
                found = _CURRENCY_SUFFIX.match(header)
                if found and found["name"] == alias.header:
                    return index, alias, found["currency"].upper()
    return None


def detect_layout(cells: tuple[str, ...]) -> Layout | None:
    """The layout when ``cells`` is a header row some platform writes, else None.

    When several platforms would fit (a hand-made file with every column), the one that
    recognises most columns wins; the catalogue order breaks a tie.
    """
    headers = [normalise_header(cell) for cell in cells]
    complete = [a for a in (_attempt(spec, headers) for spec in CATALOGUE) if not a.missing]
    if not complete:
        return None
    best = max(complete, key=lambda a: len(a.columns))  # max keeps the first of equals
    dutch = best.languages.count("nl")
    return Layout(
        platform=best.spec.platform,
        language="nl" if dutch > len(best.languages) - dutch else "en",
        columns=best.columns,
        header_currency=best.header_currency,
        month_first_dates=best.spec.month_first_dates,
    )


def explain_near_miss(cells: tuple[str, ...]) -> str | None:
    """For a row that is almost a platform's header, which columns it lacks; else None."""
    headers = [normalise_header(cell) for cell in cells]
    attempts = [_attempt(spec, headers) for spec in CATALOGUE]
    near = [a for a in attempts if len(a.columns) >= 2 and len(a.missing) <= 2]
    if not near:
        return None
    best = min(near, key=lambda a: (len(a.missing), -len(a.columns)))
    wanted = "; ".join(
        f"{FIELD_LABELS[f]} (a column named "
        + " or ".join(f'"{_display(a)}"' for a in best.spec.columns[f][:3])
        + ")"
        for f in best.missing
    )
    return f"This looks like a {best.spec.label} export, but it has no column for {wanted}."


def _display(alias: Alias) -> str:
    text = alias.header[:1].upper() + alias.header[1:]
    return f"{text} (EUR)" if alias.currency_suffix and alias.header != "cost" else text
