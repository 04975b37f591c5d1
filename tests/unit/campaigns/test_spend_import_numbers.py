"""Numbers, dates and even spreading of the spend parser, with property tests."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns.spend.parser.dates import DateError, detect_date_order, parse_day
from campaigns.spend.parser.numbers import (
    NumberError,
    detect_decimal_separator,
    parse_count,
    parse_decimal,
)
from campaigns.spend.parser.periods import spread_evenly

pytestmark = pytest.mark.unit

AMOUNTS = st.decimals(min_value=0, max_value=Decimal("9999999.99"), places=2)


def written(amount: Decimal, *, decimal: str, grouped: bool, style: str) -> str:
    """An amount as an export might write it."""
    text = f"{amount:,.2f}" if grouped else f"{amount:.2f}"
    if decimal == ",":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return {"plain": text, "prefix": f"€ {text}", "suffix": f"{text} EUR", "glued": f"€{text}"}[
        style
    ]


@given(
    amount=AMOUNTS,
    decimal=st.sampled_from([",", "."]),
    grouped=st.booleans(),
    style=st.sampled_from(["plain", "prefix", "suffix", "glued"]),
)
def test_amounts_round_trip_in_every_notation(
    amount: Decimal, decimal: str, grouped: bool, style: str
) -> None:
    text = written(amount, decimal=decimal, grouped=grouped, style=style)
    assert parse_decimal(text, decimal) == amount  # type: ignore[arg-type]


@given(amounts=st.lists(AMOUNTS.filter(lambda a: a >= 1000), min_size=1, max_size=20))
def test_the_decimal_separator_is_detected_from_grouped_amounts(amounts: list[Decimal]) -> None:
    for decimal in (",", "."):
        texts = [written(a, decimal=decimal, grouped=True, style="plain") for a in amounts]
        other = "." if decimal == "," else ","
        assert detect_decimal_separator(texts, default=other) == decimal  # type: ignore[arg-type]


@given(count=st.integers(min_value=0, max_value=10**9), decimal=st.sampled_from([",", "."]))
def test_counts_with_thousands_separators_round_trip(count: int, decimal: str) -> None:
    thousands = "." if decimal == "," else ","
    assert parse_count(f"{count:,}".replace(",", thousands), decimal) == count  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("1.234,56", ",", Decimal("1234.56")),
        ("1,234.56", ".", Decimal("1234.56")),
        ("€ 12,50", ",", Decimal("12.50")),
        ("12.50 EUR", ".", Decimal("12.50")),
        ("3,2%", ",", Decimal("3.2")),
        ("0,125", ",", Decimal("0.125")),
        (",5", ",", Decimal("0.5")),
        ("-1,00", ",", Decimal("-1.00")),
        ("(1.00)", ".", Decimal("-1.00")),
        ("1 234,56", ",", Decimal("1234.56")),
        ("", ",", None),
        ("--", ".", None),
        (" - ", ".", None),
    ],
)
def test_numbers_as_exports_write_them(text: str, decimal: str, expected: Decimal | None) -> None:
    assert parse_decimal(text, decimal) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "decimal"),
    [("12,5x", ","), ("1.23.4,5", ","), ("1,2345.6", "."), ("abc", "."), ("$ 12.50", "."),
     ("1.234", "."), ("12,5,0", ",")],
)  # fmt: skip
def test_what_is_not_a_number_says_so(text: str, decimal: str) -> None:
    with pytest.raises(NumberError):
        # "1.234" is 1.234 in a point-decimal file, and so not a whole number of clicks
        parse_count(text, decimal) if text == "1.234" else parse_decimal(text, decimal)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "default", "expected"),
    [
        (["1.234,56"], ".", ","),
        (["1,234.56"], ",", "."),
        (["12,5"], ".", ","),
        (["1.234"], ",", ","),  # no evidence: the file's convention decides
        (["1.234"], ".", "."),
        (["1.234.567"], ".", ","),  # repeated separators are thousands
        ([], ",", ","),
    ],
)
def test_decimal_separator_detection(values: list[str], default: str, expected: str) -> None:
    assert detect_decimal_separator(values, default=default) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-23", date(2026, 11, 23)),
        ("23-11-2026", date(2026, 11, 23)),
        ("23/11/2026", date(2026, 11, 23)),
        ("23.11.2026", date(2026, 11, 23)),
        ("23 nov. 2026", date(2026, 11, 23)),
        ("23 november 2026", date(2026, 11, 23)),
        ("1 mrt 2026", date(2026, 3, 1)),
        ("15 okt. 2026", date(2026, 10, 15)),
        ("Nov 23, 2026", date(2026, 11, 23)),
        ("November 23, 2026", date(2026, 11, 23)),
        ("2026-11-23 00:00:00", date(2026, 11, 23)),
        ("2026-11-23T00:00:00Z", date(2026, 11, 23)),
    ],
)
def test_dates_as_exports_write_them(text: str, expected: date) -> None:
    assert parse_day(text, "day_first") == expected


def test_month_first_dates_when_the_column_says_so() -> None:
    assert detect_date_order(["11/16/2026", "11/22/2026"], default="day_first") == "month_first"
    assert parse_day("11/16/2026", "month_first") == date(2026, 11, 16)
    assert detect_date_order(["03/04/2026"], default="month_first") == "month_first"
    assert detect_date_order(["16/11/2026", "11/16/2026"], default="day_first") == "day_first"


@pytest.mark.parametrize("text", ["", "31-02-2026", "23 foo 2026", "yesterday", "2026-13-01"])
def test_what_is_not_a_date_says_so(text: str) -> None:
    with pytest.raises(DateError):
        parse_day(text, "day_first")


@given(
    first=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    length=st.integers(min_value=1, max_value=366),
    cents=st.integers(min_value=0, max_value=10**9),
    impressions=st.integers(min_value=0, max_value=10**8),
    clicks=st.integers(min_value=0, max_value=10**6),
)
def test_spreading_a_period_keeps_every_total_and_is_even(
    first: date, length: int, cents: int, impressions: int, clicks: int
) -> None:
    spend = Decimal(cents) / 100
    last = first + timedelta(days=length - 1)
    shares = spread_evenly(first, last, spend=spend, impressions=impressions, clicks=clicks)
    assert [s.day for s in shares] == [first + timedelta(days=n) for n in range(length)]
    assert sum(s.spend for s in shares) == spend
    assert sum(s.impressions for s in shares) == impressions
    assert sum(s.clicks for s in shares) == clicks
    spends = [s.spend for s in shares]
    assert max(spends) - min(spends) <= Decimal("0.01")
    assert spends == sorted(spends, reverse=True)  # the odd cents go to the earliest days
