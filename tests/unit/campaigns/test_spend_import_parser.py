"""The spend-export parser, one test per quirk of real exports (fixtures: tests/fixtures/spend)."""

from __future__ import annotations

import codecs
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from campaigns.spend.parser import Creative, SpendExport, SpendFileRejected, parse_spend_export
from campaigns.spend.parser.errors import (
    EmptyFile,
    FileTooLarge,
    HeaderNotFound,
    NoDataRows,
    NotATextFile,
    TooManyRows,
)
from campaigns.spend.parser.parse import MAX_DATA_ROWS, MAX_FILE_BYTES

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
NL_HEADER = "Dag;Advertentienaam;Weergaven;Klikken op link;Besteed bedrag (EUR)\n"
EN_HEADER = "Day,Ad name,Impressions,Link clicks,Amount spent (EUR)\n"


def fixture(name: str) -> SpendExport:
    return parse_spend_export((FIXTURES / name).read_bytes(), CREATIVES)


def parse_text(text: str, *, bom: bool = False) -> SpendExport:
    data = text.encode("utf-8")
    return parse_spend_export(codecs.BOM_UTF8 + data if bom else data, CREATIVES)


def ok_rows(parsed: SpendExport) -> list[tuple[str | None, date | None, Decimal | None]]:
    return [(r.variant_id, r.first_day, r.spend) for r in parsed.rows if r.status == "ok"]


# --- the four platforms as they export ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "platform", "language", "header_line", "days", "spend"),
    [
        ("meta_nl_days.csv", "meta", "nl", 4, 14, Decimal("549.85")),
        ("meta_en_periods.csv", "meta", "en", 1, 14, Decimal("1544.96")),
        ("linkedin_en_periods.csv", "linkedin", "en", 7, 14, Decimal("910.08")),
        ("tiktok_en_days.csv", "tiktok", "en", 1, 5, Decimal("97.05")),
        ("google_ads_en_utf16.csv", "google_ads", "en", 3, 7, Decimal("97.09")),
    ],
)
def test_each_platforms_export_is_recognised_and_adds_up(
    name: str, platform: str, language: str, header_line: int, days: int, spend: Decimal
) -> None:
    parsed = fixture(name)
    assert (parsed.platform, parsed.language, parsed.header_line) == (
        platform,
        language,
        header_line,
    )
    assert parsed.importable, parsed.errors
    assert len(parsed.days) == days
    assert sum(d.spend for d in parsed.days) == spend


def test_dutch_meta_export_with_bom_semicolons_decimal_commas_preamble_and_totals() -> None:
    parsed = fixture("meta_nl_days.csv")
    assert parsed.encoding == "utf-8-sig"  # the byte-order mark is read, not kept
    assert parsed.delimiter == ";"
    assert parsed.decimal_separator == ","
    first = parsed.rows[0]
    assert first.line == 5  # two title lines and a blank line above the header on line 4
    assert (first.ad_name, first.first_day, first.spend, first.impressions, first.clicks) == (
        "Zorgmedewerker video A",
        date(2026, 11, 16),
        Decimal("31.12"),
        1150,  # "1.150": a thousands point in a decimal-comma file
        21,
    )
    totals = [r for r in parsed.rows if r.status == "skipped"]
    assert [(r.line, r.message) for r in totals] == [(19, "Totals row")]


def test_the_day_column_wins_over_metas_overall_reporting_period() -> None:
    # Every row of meta_nl_days.csv also says "Rapportage begint 16-11 / eindigt 22-11".
    parsed = fixture("meta_nl_days.csv")
    assert all(r.first_day == r.last_day for r in parsed.rows if r.status == "ok")


def test_english_meta_period_rows_with_quoted_thousands_and_a_summary_row() -> None:
    parsed = fixture("meta_en_periods.csv")
    assert parsed.rows[0].status == "skipped"
    assert parsed.rows[0].message.startswith("Summary row")
    video = parsed.rows[1]
    assert (video.spend, video.impressions, video.clicks) == (Decimal("1234.56"), 45210, 912)
    assert video.is_period and (video.first_day, video.last_day) == (
        date(2026, 11, 16),
        date(2026, 11, 22),
    )


def test_linkedin_preamble_month_first_dates_and_utm_matching() -> None:
    parsed = fixture("linkedin_en_periods.csv")
    assert parsed.header_line == 7
    carousel, text_first, text_second = parsed.rows
    assert (carousel.first_day, carousel.last_day) == (date(2026, 11, 16), date(2026, 11, 22))
    # "Sponsored content 2" is nobody's ad name: its link's utm_content names the creative.
    assert text_first.variant_id == text_second.variant_id == "li-text"


def test_a_period_row_is_spread_evenly_and_the_days_add_up_to_the_cent() -> None:
    parsed = fixture("linkedin_en_periods.csv")
    carousel_days = [d for d in parsed.days if d.variant_id == "li-carousel"]
    assert [d.day for d in carousel_days] == [date(2026, 11, 16) + timedelta(n) for n in range(7)]
    assert [d.spend for d in carousel_days] == [Decimal("100.01")] * 7  # 700.07 / 7
    # 14,203 impressions over 7 days: 2,029 each, the 0 left over goes nowhere
    assert sum(d.impressions for d in carousel_days) == 14203
    text_days = [d for d in parsed.days if d.variant_id == "li-text"]
    # 90.00 over 3 days, then 120.01 over 4 days: the odd cent goes to the first day
    assert [d.spend for d in text_days] == [Decimal("30.00")] * 3 + [
        Decimal("30.01"),
        Decimal("30.00"),
        Decimal("30.00"),
        Decimal("30.00"),
    ]
    assert [d.clicks for d in text_days] == [10, 10, 10, 11, 10, 10, 10]


def test_tiktok_total_of_results_row_is_skipped() -> None:
    parsed = fixture("tiktok_en_days.csv")
    assert [r.message for r in parsed.rows if r.status == "skipped"] == ["Totals row"]
    assert {r.variant_id for r in parsed.rows if r.status == "ok"} == {"tt-collega"}


def test_google_ads_utf16_tabs_title_lines_total_rows_and_link_matching() -> None:
    parsed = fixture("google_ads_en_utf16.csv")
    assert (parsed.encoding, parsed.delimiter) == ("utf-16", "\t")
    assert [r.ad_name for r in parsed.rows if r.status == "skipped"] == ["--", "--", "--"]
    # The responsive ad renamed in Google Ads still matches through ?v=g-search.
    renamed = next(r for r in parsed.rows if r.ad_name.startswith("RSA"))
    assert renamed.variant_id == "g-search"


def test_a_file_saved_again_by_dutch_excel_cp1252_euro_signs_day_first_dates() -> None:
    parsed = fixture("meta_nl_excel_cp1252.csv")
    assert parsed.encoding == "cp1252"
    assert ok_rows(parsed)[0] == ("video-a", date(2026, 11, 16), Decimal("12.50"))


# --- encodings and separators ----------------------------------------------------------


def test_utf16_without_a_byte_order_mark_is_recognised() -> None:
    text = EN_HEADER.replace(",", "\t") + "2026-11-16\tZorgmedewerker video A\t100\t3\t1.50\n"
    parsed = parse_spend_export(text.encode("utf-16-le"), CREATIVES)
    assert (parsed.encoding, parsed.delimiter) == ("utf-16-le", "\t")
    assert ok_rows(parsed) == [("video-a", date(2026, 11, 16), Decimal("1.50"))]


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_each_separator_is_found(delimiter: str) -> None:
    header = EN_HEADER.replace(",", delimiter)
    row = delimiter.join(["2026-11-16", "Zorgmedewerker video A", "100", "3", "1.50"])
    assert parse_text(header + row + "\n").delimiter == delimiter


def test_the_separator_is_found_below_a_preamble_that_confuses_the_sniffer() -> None:
    text = (
        "Report: zorg, all ads, last 7 days\nExported by: m.de.vries, Koers BV\n"
        + NL_HEADER
        + "2026-11-16;Zorgmedewerker video A;1.234;12;12,50\n"
    )
    parsed = parse_text(text)
    assert (parsed.delimiter, parsed.header_line) == (";", 3)


# --- numbers and dates in the file's own conventions ------------------------------------


def test_thousands_and_decimal_separators_both_ways() -> None:
    dutch = parse_text(NL_HEADER + '2026-11-16;Zorgmedewerker video A;12.345;1.001;"1.234,56"\n')
    english = parse_text(
        EN_HEADER + '2026-11-16,Zorgmedewerker video A,"12,345","1,001","1,234.56"\n'
    )
    for parsed in (dutch, english):
        row = parsed.rows[0]
        assert (row.impressions, row.clicks, row.spend) == (12345, 1001, Decimal("1234.56"))


def test_currency_marks_and_blank_figures() -> None:
    text = NL_HEADER + (
        "2026-11-16;Zorgmedewerker video A;100;2;€ 12,50\n"
        "2026-11-17;Zorgmedewerker video A;;;12,50 EUR\n"
        "2026-11-18;Zorgmedewerker video A;0;0;\n"
    )
    rows = parse_text(text).rows
    assert [(r.spend, r.impressions, r.clicks) for r in rows] == [
        (Decimal("12.50"), 100, 2),
        (Decimal("12.50"), 0, 0),
        (Decimal("0.00"), 0, 0),
    ]


def test_dutch_month_names_and_day_first_dates() -> None:
    text = NL_HEADER + (
        "23 nov. 2026;Zorgmedewerker video A;1;1;1,00\n"
        "24-11-2026;Zorgmedewerker video A;1;1;1,00\n"
        "25/11/2026;Zorgmedewerker video A;1;1;1,00\n"
    )
    assert [r.first_day for r in parse_text(text).rows] == [
        date(2026, 11, 23),
        date(2026, 11, 24),
        date(2026, 11, 25),
    ]


def test_english_month_names_and_timestamps() -> None:
    text = EN_HEADER + (
        '"Nov 23, 2026",Zorgmedewerker video A,1,1,1.00\n'
        "2026-11-24 00:00:00,Zorgmedewerker video A,1,1,1.00\n"
    )
    assert [r.first_day for r in parse_text(text).rows] == [date(2026, 11, 23), date(2026, 11, 24)]


def test_ambiguous_numeric_dates_follow_the_evidence_in_the_column() -> None:
    # 03/11 alone could be March; 13/11 on the next row proves day-first.
    text = EN_HEADER + (
        "03/11/2026,Zorgmedewerker video A,1,1,1.00\n13/11/2026,Zorgmedewerker video A,1,1,1.00\n"
    )
    assert [r.first_day for r in parse_text(text).rows] == [date(2026, 11, 3), date(2026, 11, 13)]


# --- totals and summary rows -------------------------------------------------------------


def test_an_ad_called_total_something_is_not_a_totals_row() -> None:
    creatives = (*CREATIVES, Creative("total", "Total recall", "Total recall hook"))
    text = EN_HEADER + (
        "2026-11-16,Total recall hook,100,2,1.00\nTotal,,100,2,1.00\nTotals: 1 ad,,100,2,1.00\n"
    )
    parsed = parse_spend_export(text.encode(), creatives)
    assert [r.status for r in parsed.rows] == ["ok", "skipped", "skipped"]


def test_an_unnamed_row_of_zeros_is_skipped_as_empty() -> None:
    text = EN_HEADER + "2026-11-16,Zorgmedewerker video A,100,2,1.00\n,,0,0,0.00\n"
    parsed = parse_text(text)
    assert [(r.status, r.message) for r in parsed.rows] == [("ok", ""), ("skipped", "Empty row")]
    assert parsed.importable


def test_an_unnamed_row_that_is_not_the_sum_is_an_error_not_a_summary() -> None:
    text = EN_HEADER + ("2026-11-16,Zorgmedewerker video A,100,2,1.00\n2026-11-16,,50,1,0.50\n")
    parsed = parse_text(text)
    assert parsed.rows[1].status == "error"
    assert "ad name is missing" in parsed.rows[1].message
    assert not parsed.importable


# --- matching rows to creatives ----------------------------------------------------------


def test_matching_ignores_case_and_whitespace() -> None:
    parsed = fixture("meta_nl_days.csv")
    assert {r.ad_name for r in parsed.rows if r.variant_id == "foto-b"} == {
        "zorgmedewerker  FOTO b"
    }


def test_a_row_matching_no_creative_is_a_row_error() -> None:
    parsed = parse_text(EN_HEADER + "2026-11-16,Someone else's ad,100,2,1.00\n")
    assert parsed.rows[0].status == "error"
    assert 'No creative has the ad name or UTM key "Someone else\'s ad"' in parsed.rows[0].message


def test_a_row_matching_two_creatives_is_a_row_error() -> None:
    creatives = (Creative("a", "A", "Same name"), Creative("b", "B", "same  NAME"))
    parsed = parse_spend_export((EN_HEADER + "2026-11-16,Same name,1,1,1.00\n").encode(), creatives)
    assert "fits several creatives" in parsed.rows[0].message


def test_rows_of_one_creative_and_day_are_added_up() -> None:
    # A breakdown by placement: Facebook feed and Instagram stories on the same day.
    text = EN_HEADER + (
        "2026-11-16,Zorgmedewerker video A,100,2,1.25\n"
        "2026-11-16,Zorgmedewerker video A,50,1,0.75\n"
    )
    (day,) = parse_text(text).days
    assert (day.spend, day.impressions, day.clicks) == (Decimal("2.00"), 150, 3)


def test_overlapping_different_periods_of_one_creative_are_refused() -> None:
    text = (
        '"Reporting starts","Reporting ends","Ad name","Amount spent (EUR)","Impressions",'
        '"Link clicks"\n'
        "2026-11-16,2026-11-22,Zorgmedewerker video A,7.00,70,7\n"
        "2026-11-20,2026-11-20,Zorgmedewerker video A,1.00,10,1\n"
    )
    parsed = parse_text(text)
    assert parsed.rows[1].status == "error" and "overlaps" in parsed.rows[1].message


# --- row errors: reported per row, never imported partially -----------------------------


def test_row_errors_are_listed_per_row_and_block_the_whole_file() -> None:
    parsed = fixture("meta_nl_row_errors.csv")
    assert [(r.line, r.status) for r in parsed.rows] == [
        (2, "ok"),
        (3, "error"),
        (4, "error"),
        (5, "error"),
        (6, "error"),
    ]
    messages = [r.message for r in parsed.errors]
    assert "Onbekende advertentie" in messages[0]
    assert '"31-02-2026" is not an existing date' in messages[1]
    assert '"4x0" is not a number' in messages[2]
    assert "cannot be negative" in messages[3]
    assert not parsed.importable


def test_amounts_in_another_currency_are_row_errors() -> None:
    parsed = fixture("meta_en_usd.csv")
    assert "in USD" in parsed.rows[0].message and not parsed.importable


def test_a_period_ending_before_it_starts_is_a_row_error() -> None:
    text = (
        "Reporting starts,Reporting ends,Ad name,Amount spent (EUR),Impressions,Link clicks\n"
        "2026-11-22,2026-11-16,Zorgmedewerker video A,7.00,70,7\n"
    )
    assert "before it starts" in parse_text(text).rows[0].message


# --- files that cannot be read at all: a clear message, never a crash --------------------


@pytest.mark.parametrize(
    ("name", "error", "status", "says"),
    [
        ("empty.csv", EmptyFile, 422, "empty"),
        ("meta_nl_header_only.csv", NoDataRows, 422, "no rows with figures"),
        ("binary_garbage.csv", NotATextFile, 415, "not a CSV export"),
        ("meta_export.xlsx", NotATextFile, 415, "Excel workbook"),
        ("unknown_columns.csv", HeaderNotFound, 422, "could not find the column names"),
        ("meta_en_no_spend.csv", HeaderNotFound, 422, "no column for the amount spent"),
    ],
)
def test_unreadable_files_are_refused_with_a_message(
    name: str, error: type[SpendFileRejected], status: int, says: str
) -> None:
    with pytest.raises(error) as caught:
        fixture(name)
    assert caught.value.status == status
    assert says in caught.value.detail


def test_a_file_over_the_size_limit_is_refused_before_reading() -> None:
    with pytest.raises(FileTooLarge) as caught:
        parse_spend_export(b"a" * (MAX_FILE_BYTES + 1), CREATIVES)
    assert caught.value.status == 413


def test_too_many_rows_are_refused() -> None:
    row = "2026-11-16,Zorgmedewerker video A,1,1,1.00\n"
    with pytest.raises(TooManyRows):
        parse_text(EN_HEADER + row * (MAX_DATA_ROWS + 1))


def test_only_totals_below_the_header_is_no_data() -> None:
    with pytest.raises(NoDataRows):
        parse_text(NL_HEADER + "Totaal;;0;0;0,00\n", bom=True)


def test_whitespace_only_and_bom_only_files_are_empty() -> None:
    for data in (b"  \r\n\r\n", codecs.BOM_UTF8, codecs.BOM_UTF16_LE):
        with pytest.raises(EmptyFile):
            parse_spend_export(data, CREATIVES)
