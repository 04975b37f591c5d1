from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from campaigns.catalog.domain import Campaign, publish_campaign
from campaigns.demo import DEMO_PAGE, DEMO_VARIANTS, simulate_spend_history
from campaigns.errors import CampaignNotPublishable
from campaigns.insights.domain import (
    CampaignFunnel,
    FunnelCounts,
    VariantFunnel,
    cost_per,
    funnel_rows,
)
from campaigns.spend.domain import DailySpend, complete_weeks_before, spend_per_week
from koers.isoweeks import iso_week

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 23, tzinfo=UTC)
CAMPAIGN = Campaign(
    id="c1",
    tenant_id="t1",
    slug="demo",
    name="Demo",
    vacancy_title="Demo",
    goal="lead",
    weekly_budget=Decimal("500"),
    status="draft",
    page=DEMO_PAGE,
    page_version=3,
    created_at=NOW,
    updated_at=NOW,
)


def test_iso_weeks_follow_the_iso_calendar_across_new_year() -> None:
    assert iso_week(date(2026, 12, 31)) == "2026-W53"
    assert iso_week(date(2027, 1, 4)) == "2027-W01"
    assert iso_week(date(2021, 1, 3)) == "2020-W53"


def test_complete_weeks_exclude_the_running_week() -> None:
    assert complete_weeks_before(date(2026, 11, 25), 2) == [date(2026, 11, 9), date(2026, 11, 16)]


def test_publishing_bumps_the_page_version_and_marks_published() -> None:
    publication = publish_campaign(CAMPAIGN, DEMO_VARIANTS, now=NOW)
    assert publication.campaign.page_version == 4
    assert publication.campaign.status == "live"
    assert publication.event.page.version == 4


def test_an_unreachable_pass_score_is_refused() -> None:
    campaign = replace(CAMPAIGN, page={**DEMO_PAGE, "quiz_pass_score": 101})
    with pytest.raises(CampaignNotPublishable, match="highest reachable score 100"):
        publish_campaign(campaign, DEMO_VARIANTS, now=NOW)


def test_a_quiz_entry_point_needs_questions() -> None:
    campaign = replace(CAMPAIGN, page={**DEMO_PAGE, "quiz": []})
    with pytest.raises(CampaignNotPublishable, match="quiz entry point"):
        publish_campaign(campaign, DEMO_VARIANTS, now=NOW)


def test_an_incomplete_page_is_refused_with_the_reason() -> None:
    campaign = replace(CAMPAIGN, page={**DEMO_PAGE, "headline": ""})
    with pytest.raises(CampaignNotPublishable, match="headline"):
        publish_campaign(campaign, DEMO_VARIANTS, now=NOW)


def test_spend_is_summed_per_iso_week_and_variant() -> None:
    days = [
        DailySpend("a", date(2026, 11, 16), Decimal("10.50"), 1000, 10),
        DailySpend("a", date(2026, 11, 22), Decimal("4.50"), 500, 5),
        DailySpend("b", date(2026, 11, 23), Decimal("20.00"), 2000, 30),
    ]
    weeks = spend_per_week(days, ["a", "b"])
    assert [w.week for w in weeks] == ["2026-W47", "2026-W48"]
    assert weeks[0].per_variant == {"a": Decimal("15.00"), "b": Decimal(0)}
    assert weeks[1].total == Decimal("20.00") and weeks[1].clicks == 30


def test_cost_per_lead_is_none_without_leads() -> None:
    assert cost_per(Decimal("100"), 0) is None
    assert cost_per(Decimal("100"), 3) == Decimal("33.33")


def test_funnel_rows_follow_the_campaign_and_fill_missing_variants_with_zeros() -> None:
    funnel = CampaignFunnel(
        campaign_id="c1",
        variants=(
            VariantFunnel("tiktok", FunnelCounts(visits=10, leads=2, spend=Decimal("50"))),
            VariantFunnel("retired", FunnelCounts(visits=1)),
        ),
        totals=FunnelCounts(),
    )
    rows = funnel_rows(funnel, DEMO_VARIANTS)
    assert [r.variant_id for r in rows] == [
        "instagram",
        "tiktok",
        "linkedin",
        "facebook",
        "retired",
    ]
    assert rows[0].counts.visits == 0 and rows[0].cost_per_lead is None
    assert rows[1].cost_per_lead == Decimal("25.00")


def test_simulated_history_is_deterministic_and_realistic() -> None:
    ids = tuple(v.variant_id for v in DEMO_VARIANTS)
    first = simulate_spend_history(ids, date(2026, 11, 25))
    assert first == simulate_spend_history(ids, date(2026, 11, 25))
    assert len(first) == 4 * 7 * 4
    assert all(Decimal(15) <= d.spend <= Decimal(60) for d in first)
    linkedin = [d for d in first if d.variant_id == "linkedin"]
    tiktok = [d for d in first if d.variant_id == "tiktok"]
    # LinkedIn reach is dearer than TikTok's: fewer impressions per euro.
    assert sum(d.impressions for d in linkedin) / sum(d.spend for d in linkedin) < sum(
        d.impressions for d in tiktok
    ) / sum(d.spend for d in tiktok)
