"""Bulk files per platform: they parse back, carry each tool's columns, and hold the dry run."""

from __future__ import annotations

import codecs
import csv
import io

import pytest
from delivery_testkit import WEEK, creative, mixed_plan, plan_of

from campaigns.delivery import AdPlatformAdapter, CsvBulkAdapter, dry_run
from campaigns.delivery.csv_bulk import FORMATS, KOERS_COLUMNS

pytestmark = pytest.mark.unit


def read(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def files_by_tool() -> dict[str, list[dict[str, str]]]:
    files = CsvBulkAdapter().bulk_files(mixed_plan())
    return {
        name.rsplit(f"{WEEK}-", 1)[1].removesuffix(".csv"): read(b) for name, b in files.items()
    }


def test_one_file_per_platform_named_by_campaign_week_and_tool() -> None:
    names = sorted(CsvBulkAdapter().bulk_files(mixed_plan()))
    assert names == [
        f"werken-bij-zorg-in-zwolle-{WEEK}-{tool}.csv"
        for tool in (
            "google-ads-editor",
            "linkedin-campaign-manager",
            "meta-ads-manager",
            "tiktok-ads-manager",
        )
    ]


def test_every_file_has_its_tools_columns_and_says_how_the_daily_budget_was_made() -> None:
    files = CsvBulkAdapter().bulk_files(mixed_plan())
    for name, data in files.items():
        header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        platform = next(
            p for p, fmt in FORMATS.items() if header[: len(fmt.columns)] == list(fmt.columns)
        )
        assert header == [*FORMATS[platform].columns, *KOERS_COLUMNS], name
        for row in read(data):
            assert "weekly budget / 7" in row["Koers note"]
            assert WEEK in row["Koers note"]
        assert b"\r\n" in data


def test_meta_rows_set_the_ad_set_daily_budget_and_status_by_id_only() -> None:
    meta = {row["Koers creative"]: row for row in files_by_tool()["meta-ads-manager"]}

    assert set(meta) == {"Creative video-a", "Creative foto-b"}  # no-ids is blocked, not written
    video = meta["Creative video-a"]
    assert video["Ad Set ID"] == "120210000000001"
    assert video["Ad Set Daily Budget"] == "100.00"  # 700.00 a week
    assert video["Ad Set Run Status"] == "ACTIVE"
    assert (video["Ad ID"], video["Ad Status"]) == ("120210000000091", "ACTIVE")
    assert video["Koers weekly budget"] == "700.00"
    assert meta["Creative foto-b"]["Ad Set Run Status"] == "PAUSED"
    assert meta["Creative foto-b"]["Ad Set Daily Budget"] == "50.00"
    assert video["Campaign Daily Budget"] == ""  # an empty cell changes nothing


def test_google_linkedin_and_tiktok_rows_use_their_tools_words() -> None:
    tools = files_by_tool()
    (google,) = tools["google-ads-editor"]
    (linkedin,) = tools["linkedin-campaign-manager"]
    (tiktok,) = tools["tiktok-ads-manager"]

    assert (google["Campaign"], google["Campaign ID"]) == ("YT Zorg", "20123456789")
    assert (google["Budget"], google["Budget type"], google["Campaign Status"]) == (
        "14.29",
        "Daily",
        "Enabled",
    )
    assert (linkedin["Campaign ID"], linkedin["Daily Budget"], linkedin["Currency"]) == (
        "612345678",
        "30.00",
        "EUR",
    )
    assert linkedin["Campaign Status"] == "Active"
    assert (tiktok["Ad Group ID"], tiktok["Budget"], tiktok["Ad Group Status"]) == (
        "1780000000000001",
        "20.00",
        "ENABLE",
    )


def test_names_with_commas_quotes_and_accents_survive_the_round_trip() -> None:
    plan = plan_of(creative('Zorg, "nacht" café €', ad_set_id="1"), name="Zorg; nacht")
    (data,) = CsvBulkAdapter().bulk_files(plan).values()
    (row,) = read(data)
    assert row["Koers creative"] == 'Creative Zorg, "nacht" café €'


def test_push_hands_the_files_over_and_reports_what_could_not_be_written() -> None:
    adapter: AdPlatformAdapter = CsvBulkAdapter()
    result = adapter.push(mixed_plan(), idempotency_key="camp-1:2026-W48:csv")

    outcomes = {o.change.variant_id: o.outcome for o in result.outcomes}
    assert outcomes["video-a"] == "exported"
    assert outcomes["no-ids"] == outcomes["snap"] == "blocked"
    assert result.status == "partial"
    assert len(result.files) == 4


def test_a_plan_with_nothing_sendable_produces_no_files() -> None:
    plan = plan_of(creative("a"))
    assert CsvBulkAdapter().bulk_files(plan) == {}
    assert CsvBulkAdapter().push(plan, idempotency_key="k").status == "refused"


def test_the_dry_run_lists_every_change_and_produces_nothing() -> None:
    result = dry_run(CsvBulkAdapter(), mixed_plan(), idempotency_key="k")

    assert result.status == "dry_run"
    assert result.files == {}
    kinds = {o.change.variant_id: o.outcome for o in result.outcomes}
    assert kinds["video-a"] == "dry_run"
    assert kinds["no-ids"] == "blocked"
