"""Bulk files for each ad platform's own bulk tool: the adapter every platform has.

The marketer downloads one file per platform for the campaign and week, and uploads it
in the platform's bulk import, where it edits the existing objects whose ids it names.
Each row sets one creative's *daily* budget (weekly / 7, rounded half up to the cent;
see ``domain.daily_budget_cents``) and its status. Names are left out on purpose: a
bulk import renames whatever it is given a name for.

Files are CSV, UTF-8 with a byte-order mark (so Excel, which marketers open them in,
shows accents right), comma-separated, CRLF line ends, amounts with a decimal point
("12.34") in the account currency, headers in English (the tools match English
headers). Three trailing ``Koers ...`` columns say which creative the row is and how
the daily budget was derived; the bulk tools ignore columns they do not know (Google
Ads Editor lets you skip them in its column mapping).

Column names, from the platforms' help pages and exports seen in public code, as of
2025-2026 (platforms rename columns now and then; each platform's columns are one tuple
below, so a rename is a one-line fix):

- **Meta Ads Manager**, "Import ads in bulk" (export/import spreadsheet): ``Campaign
  ID``, ``Ad Set ID``, ``Ad ID``, ``Campaign Daily Budget``, ``Campaign Status``, ``Ad
  Set Daily Budget``, ``Ad Set Run Status``, ``Ad Status``; statuses ``ACTIVE`` /
  ``PAUSED``; budgets in currency units. Source: Ads Manager export headers as they
  appear in public bulk-upload tooling (the export's header row), Meta Business Help
  Center "import ads in bulk".
- **Google Ads Editor**, "Import a CSV file in Google Ads Editor" (Google Ads Editor
  Help, "CSV file columns"): ``Campaign`` (name), ``Campaign ID``, ``Campaign Status``
  (``Enabled`` / ``Paused``), ``Budget`` (alternate headers: Campaign daily budget, Daily
  budget), ``Budget type`` (``Daily``); headers case- and space-insensitive; an empty
  cell changes nothing.
- **LinkedIn Campaign Manager**, bulk campaign editing (export campaigns, edit, upload):
  ``Campaign ID``, ``Campaign Status`` (``Active`` / ``Paused``), ``Daily Budget``,
  ``Currency``. Source: LinkedIn Marketing Solutions Help, campaign budget and bulk
  editing articles; column names as the export writes them.
- **TikTok Ads Manager**, "Bulk Import" (TikTok Ads Manager Help, bulk import and
  Auto-Fix articles): ``Campaign ID``, ``Ad Group ID``, ``Ad Group Status``, ``Budget
  Mode`` (``Daily``), ``Budget``; statuses as the API's operation status ``ENABLE`` /
  ``DISABLE``. TikTok's template is the least documented: check a fresh export of the
  account before the first upload.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from campaigns.delivery.domain import (
    PLATFORM_LABELS,
    BudgetPlan,
    ChangeOutcome,
    Platform,
    PushChange,
    PushResult,
    format_cents,
    plan_changes,
)

KOERS_COLUMNS = ("Koers creative", "Koers weekly budget", "Koers note")
Row = dict[str, str]


@dataclass(frozen=True)
class BulkFormat:
    platform: Platform
    columns: tuple[str, ...]
    row: Callable[[PushChange, BudgetPlan], Row]

    @property
    def label(self) -> str:
        return PLATFORM_LABELS[self.platform]


def _meta_row(change: PushChange, plan: BudgetPlan) -> Row:
    daily = format_cents(change.daily_budget_cents)
    if change.level == "ad_set":
        row = {
            "Ad Set ID": change.object_id or "",
            "Ad Set Daily Budget": daily,
            "Ad Set Run Status": change.status,
        }
    else:
        row = {
            "Campaign ID": change.object_id or "",
            "Campaign Daily Budget": daily,
            "Campaign Status": change.status,
        }
    if change.ad_id:
        row |= {"Ad ID": change.ad_id, "Ad Status": change.status}
    return row


def _google_row(change: PushChange, plan: BudgetPlan) -> Row:
    return {
        "Campaign": change.platform_campaign_name or "",
        "Campaign ID": change.object_id or "",
        "Campaign Status": "Paused" if change.paused else "Enabled",
        "Budget": format_cents(change.daily_budget_cents),
        "Budget type": "Daily",
    }


def _linkedin_row(change: PushChange, plan: BudgetPlan) -> Row:
    return {
        "Campaign ID": change.object_id or "",
        "Campaign Status": "Paused" if change.paused else "Active",
        "Daily Budget": format_cents(change.daily_budget_cents),
        "Currency": plan.currency,
    }


def _tiktok_row(change: PushChange, plan: BudgetPlan) -> Row:
    id_column = "Ad Group ID" if change.level == "ad_set" else "Campaign ID"
    return {
        id_column: change.object_id or "",
        "Ad Group Status" if change.level == "ad_set" else "Campaign Status": (
            "DISABLE" if change.paused else "ENABLE"
        ),
        "Budget Mode": "Daily",
        "Budget": format_cents(change.daily_budget_cents),
    }


FORMATS: dict[Platform, BulkFormat] = {
    "meta": BulkFormat(
        "meta",
        (
            "Campaign ID",
            "Ad Set ID",
            "Ad ID",
            "Campaign Daily Budget",
            "Campaign Status",
            "Ad Set Daily Budget",
            "Ad Set Run Status",
            "Ad Status",
        ),
        _meta_row,
    ),
    "google_ads": BulkFormat(
        "google_ads",
        ("Campaign", "Campaign ID", "Campaign Status", "Budget", "Budget type"),
        _google_row,
    ),
    "linkedin": BulkFormat(
        "linkedin", ("Campaign ID", "Campaign Status", "Daily Budget", "Currency"), _linkedin_row
    ),
    "tiktok": BulkFormat(
        "tiktok",
        (
            "Campaign ID",
            "Ad Group ID",
            "Campaign Status",
            "Ad Group Status",
            "Budget Mode",
            "Budget",
        ),
        _tiktok_row,
    ),
}

FILE_SLUGS: dict[Platform, str] = {
    "meta": "meta-ads-manager",
    "google_ads": "google-ads-editor",
    "linkedin": "linkedin-campaign-manager",
    "tiktok": "tiktok-ads-manager",
}


def bulk_filename(plan: BudgetPlan, platform: Platform) -> str:
    """``werken-bij-zorg-2026-W48-meta-ads-manager.csv``: campaign, week, tool."""
    return f"{_slug(plan.campaign_name) or plan.campaign_id}-{plan.week}-{FILE_SLUGS[platform]}.csv"


def render_bulk_file(plan: BudgetPlan, platform: Platform, changes: list[PushChange]) -> bytes:
    """One platform's file: the header and a row per sendable change."""
    fmt = FORMATS[platform]
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=[*fmt.columns, *KOERS_COLUMNS], lineterminator="\r\n"
    )
    writer.writeheader()
    for change in changes:
        if not change.sendable:
            continue
        writer.writerow(
            {
                **fmt.row(change, plan),
                "Koers creative": change.variant_name,
                "Koers weekly budget": format_cents(change.weekly_cents),
                "Koers note": (
                    f"{plan.week}: daily budget = weekly budget / 7, rounded to the cent "
                    f"({plan.currency})"
                ),
            }
        )
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


class CsvBulkAdapter:
    """``AdPlatformAdapter`` that writes bulk files instead of calling an API."""

    name = "csv"

    def plan(self, plan: BudgetPlan) -> list[PushChange]:
        """Every creative: bulk files exist for every platform Koers knows."""
        return plan_changes(plan)

    def bulk_files(self, plan: BudgetPlan) -> dict[str, bytes]:
        """filename -> file bytes, one per platform with at least one sendable row."""
        changes = self.plan(plan)
        files = {}
        for platform in FORMATS:
            mine = [c for c in changes if c.platform == platform and c.sendable]
            if mine:
                files[bulk_filename(plan, platform)] = render_bulk_file(plan, platform, mine)
        return files

    def push(self, plan: BudgetPlan, *, idempotency_key: str) -> PushResult:
        """ "Sent" means handed over as files: the marketer uploads them."""
        outcomes = [
            ChangeOutcome(c, "exported", f"in the {PLATFORM_LABELS[c.platform]} file")
            if c.sendable and c.platform is not None
            else ChangeOutcome(c, "blocked", c.blocked or "")
            for c in self.plan(plan)
        ]
        return PushResult.of(self.name, idempotency_key, outcomes, self.bulk_files(plan))


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60]
