"""Exports in the shapes marketers download: default and customised columns, both languages.

Each file in tests/fixtures/spend/ named here is imported whole and its totals checked:
columns beyond what attributes spend to a creative and a day (platform ids, campaign and
ad set names, reach, results, CTR...) are ignored; clicks and impressions are optional
and reported as missing when the export leaves them out.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from campaigns.spend.parser import Creative, SpendExport, parse_spend_export

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "spend"
CREATIVES = (
    Creative("video-a", "Video A", "Zorgmedewerker video A"),
    Creative("foto-b", "Foto B", "Zorgmedewerker foto B"),
    Creative("li-carousel", "LinkedIn carousel", "LI carousel - werken bij"),
    Creative("li-text", "LinkedIn text ad", None),
    Creative("tt-collega", "TikTok collega", "tiktok_collega_vertelt"),
    Creative("g-search", "Google search", "Search ad - vacatures"),
)


def fixture(name: str) -> SpendExport:
    return parse_spend_export((FIXTURES / name).read_bytes(), CREATIVES)


@pytest.mark.parametrize(
    ("name", "platform", "language", "days", "spend", "impressions", "clicks", "missing"),
    [
        # Meta's default "Performance" columns: results, reach, no link clicks.
        ("meta_en_performance_no_clicks.csv", "meta", "en", 6, "91.00", 10845, 0, ("clicks",)),
        ("meta_nl_performance_no_clicks.csv", "meta", "nl", 4, "56.00", 6169, 0, ("clicks",)),
        # Customised with every id column and the currency in a column of its own.
        ("meta_en_full_ids_currency.csv", "meta", "en", 4, "2229.85", 183410, 2393, ()),
        ("meta_nl_full_ids_currency.csv", "meta", "nl", 3, "1945.55", 164332, 2147, ()),
        ("meta_en_no_clicks.csv", "meta", "en", 1, "1.00", 100, 0, ("clicks",)),
        ("linkedin_en_custom_ids.csv", "linkedin", "en", 3, "111.42", 7325, 45, ()),
        (
            "linkedin_en_spend_only.csv",
            "linkedin",
            "en",
            2,
            "78.50",
            0,
            0,
            ("impressions", "clicks"),
        ),
        ("tiktok_en_custom_ids.csv", "tiktok", "en", 3, "49.45", 19660, 0, ("clicks",)),
        ("google_ads_nl_custom.csv", "google_ads", "nl", 3, "37.00", 2986, 0, ("clicks",)),
        ("google_ads_en_ids.csv", "google_ads", "en", 2, "24.00", 2020, 33, ()),
    ],
)
def test_each_real_shaped_export_imports_and_adds_up(
    name: str,
    platform: str,
    language: str,
    days: int,
    spend: str,
    impressions: int,
    clicks: int,
    missing: tuple[str, ...],
) -> None:
    parsed = fixture(name)
    assert (parsed.platform, parsed.language) == (platform, language)
    assert parsed.importable, parsed.errors
    assert len(parsed.days) == days
    assert sum(d.spend for d in parsed.days) == Decimal(spend)
    assert sum(d.impressions for d in parsed.days) == impressions
    assert sum(d.clicks for d in parsed.days) == clicks
    assert parsed.missing_figures == missing


def test_a_missing_clicks_column_leaves_row_clicks_unknown_not_zero() -> None:
    parsed = fixture("meta_en_performance_no_clicks.csv")
    assert {r.clicks for r in parsed.rows} == {None}
    assert all(r.impressions is not None for r in parsed.rows)


def test_a_blank_clicks_cell_in_a_clicks_column_is_zero() -> None:
    parsed = fixture("meta_en_full_ids_currency.csv")
    assert [r.clicks for r in parsed.rows if r.variant_id == "foto-b"] == [61, 0]
    assert parsed.missing_figures == ()


def test_platform_ids_are_not_taken_for_figures_or_names() -> None:
    parsed = fixture("meta_en_full_ids_currency.csv")
    assert [(r.ad_name, r.variant_id) for r in parsed.rows][:2] == [
        ("Zorgmedewerker video A", "video-a"),
        ("Zorgmedewerker video A", "video-a"),
    ]
    assert parsed.rows[0].spend == Decimal("1204.50")


def test_the_currency_column_is_read_when_the_header_names_none() -> None:
    text = (FIXTURES / "meta_en_full_ids_currency.csv").read_text().replace(",EUR,", ",USD,")
    parsed = parse_spend_export(text.encode(), CREATIVES)
    assert len(parsed.errors) == 4
    assert "the amounts are in USD" in parsed.errors[0].message


def test_dutch_meta_writes_bedrag_besteed_with_the_currency_in_the_header() -> None:
    parsed = fixture("meta_nl_performance_no_clicks.csv")
    assert parsed.decimal_separator == ","
    assert [r.spend for r in parsed.rows if r.variant_id == "foto-b"] == [Decimal("6.60")]


def test_a_totals_row_of_a_custom_report_is_skipped() -> None:
    parsed = fixture("google_ads_nl_custom.csv")
    assert [r.message for r in parsed.rows if r.status == "skipped"] == ["Totals row"] * 2
