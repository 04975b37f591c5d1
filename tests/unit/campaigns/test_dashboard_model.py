"""The dashboard's numbers: cost intervals, rows, proposal changes, which charts exist."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest

from campaigns.catalog.domain import Variant
from campaigns.insights.analytics_client import AllocationProposal, CostInterval
from campaigns.insights.dashboard import (
    BUDGET_WEEKS,
    PLAN_WEEKS,
    build_dashboard,
    cost_interval,
)
from campaigns.insights.domain import CampaignFunnel, FunnelCounts, VariantFunnel
from koers.isoweeks import next_iso_week

pytestmark = pytest.mark.unit

VARIANTS = [
    Variant("tiktok", "TikTok video", "tiktok", "video", "Hook A"),
    Variant("linkedin", "LinkedIn image", "linkedin", "image", "Hook B", live=False),
]


def test_cost_interval_without_conversions_has_no_upper_bound() -> None:
    interval = cost_interval(Decimal("300"), 0)
    assert interval.estimate is None
    # Closed form: with no event the 95% upper Poisson bound is -ln(0.05).
    assert interval.low == pytest.approx(300 / -math.log(0.05))
    assert interval.high == math.inf and interval.unbounded


def test_cost_interval_matches_the_exact_poisson_bounds() -> None:
    interval = cost_interval(1000.0, 10)
    assert interval.estimate == pytest.approx(100.0)
    # Garwood 90% bounds for 10 events: 5.4254 and 16.9621.
    assert interval.low == pytest.approx(1000 / 16.9621, rel=1e-4)
    assert interval.high == pytest.approx(1000 / 5.4254, rel=1e-4)
    assert interval.low is not None and interval.high is not None
    assert interval.low < 100.0 < interval.high


def test_no_spend_means_no_cost() -> None:
    assert cost_interval(Decimal(0), 3) == type(cost_interval(Decimal(0), 3))(None, None, None)


@pytest.mark.parametrize(
    ("today", "week"),
    [
        (date(2026, 11, 23), "2026-W49"),  # a Monday plans the next week
        (date(2026, 11, 29), "2026-W49"),  # so does Sunday
        (date(2026, 12, 28), "2027-W01"),  # across the ISO year
    ],
)
def test_the_proposal_plans_the_coming_week(today: date, week: str) -> None:
    assert next_iso_week(today) == week


def funnel(weeks: int = 3) -> CampaignFunnel:
    def week(n: int) -> str:
        return f"2025-W{n:02d}" if n <= 52 else f"2026-W{n - 52:02d}"

    tiktok_weeks = {
        week(n): FunnelCounts(visits=100, leads=4, applications=1, spend=Decimal("50"))
        for n in range(1, weeks + 1)
    }
    return CampaignFunnel(
        campaign_id="c-1",
        variants=(
            VariantFunnel(
                "tiktok",
                FunnelCounts(visits=100 * weeks, leads=4 * weeks, spend=Decimal(50 * weeks)),
                tiktok_weeks,
            ),
            VariantFunnel("ghost", FunnelCounts(visits=7), {}),
        ),
        totals=FunnelCounts(visits=100 * weeks + 7, leads=4 * weeks, spend=Decimal(50 * weeks)),
    )


def proposal() -> AllocationProposal:
    return AllocationProposal(
        campaign_id="c-1",
        week="2026-W49",
        budget=1000,
        allocation={"tiktok": 700.0, "linkedin": 300.0},
        previous_allocation={"tiktok": 500.0, "linkedin": 500.0},
        p_best={"tiktok": 0.83, "linkedin": 0.17},
        expected_cost_per_conversion={"tiktok": CostInterval(mean=12.0, low=9.0, high=None)},
        warnings=[{"message": "LinkedIn spent without clicks"}, "plain sentence"],  # type: ignore[list-item]
    )


def test_rows_follow_the_campaign_then_creatives_only_analytics_knows() -> None:
    view = build_dashboard(
        week="2026-W49",
        variants=VARIANTS,
        funnel=funnel(),
        proposal=proposal(),
        health=None,
        insights=None,
    )
    assert [r.variant_id for r in view.rows] == ["tiktok", "linkedin", "ghost"]
    tiktok, linkedin, ghost = view.rows
    assert tiktok.cost_per_lead.estimate == pytest.approx(150 / 12)
    assert tiktok.p_best == 0.83 and ghost.p_best is None
    assert linkedin.counts == FunnelCounts() and not linkedin.live
    assert ghost.label == "ghost"
    assert {c.name for c in view.charts} == {
        "funnel",
        "cost",
        "p_best",
        "budget",
        "allocation",
        "plan",
    }


def test_the_allocation_shows_the_change_and_unbounded_costs() -> None:
    view = build_dashboard(
        week="2026-W49",
        variants=VARIANTS,
        funnel=None,
        proposal=proposal(),
        health=None,
        insights=None,
    )
    assert view.allocation is not None
    rows = {r.variant_id: r for r in view.allocation.rows}
    assert rows["tiktok"].change == 200.0 and rows["linkedin"].change == -200.0
    assert rows["tiktok"].expected_cost is not None and rows["tiktok"].expected_cost.unbounded
    assert view.allocation.proposal.warnings == ("LinkedIn spent without clicks", "plain sentence")
    assert not view.allocation.decided
    assert [c.name for c in view.charts] == ["allocation"]  # no funnel: no funnel charts


def test_the_budget_chart_covers_the_last_52_weeks_with_spend() -> None:
    view = build_dashboard(
        week="2026-W49",
        variants=VARIANTS,
        funnel=funnel(weeks=60),
        proposal=None,
        health=None,
        insights=None,
    )
    budget = view.chart("budget")
    assert budget is not None
    assert len(budget.categories) == BUDGET_WEEKS
    assert budget.categories[0] == "2025-W09" and budget.categories[-1] == "2026-W08"
    assert [s.label for s in budget.series] == ["TikTok video"]  # no spend, no layer
    assert view.chart("p_best") is None


def test_slow_answers_are_kept_for_their_time_to_live() -> None:
    from campaigns.insights.cache import AnswerCache

    now = [100.0]
    asked: list[int] = []
    cache = AnswerCache(60, clock=lambda: now[0])

    def ask() -> int:
        asked.append(1)
        return len(asked)

    assert cache.get_or_ask(("insights", "c-1"), ask) == 1
    now[0] += 59
    assert cache.get_or_ask(("insights", "c-1"), ask) == 1  # still fresh
    assert cache.get_or_ask(("insights", "c-2"), ask) == 2  # another campaign
    now[0] += 2
    assert cache.get_or_ask(("insights", "c-1"), ask) == 3  # expired: asked again


def test_the_plan_chart_sets_proposed_approved_and_spent_side_by_side() -> None:
    view = build_dashboard(
        week="2025-W03",
        variants=VARIANTS,
        funnel=funnel(weeks=3),  # TikTok spends €50 in 2025-W01..W03
        proposal=None,
        health=None,
        insights=None,
        proposals={
            "2025-W02": {"tiktok": 60.0, "linkedin": 40.0},
            "2025-W03": {"tiktok": 80.0, "linkedin": 20.0},
            "2025-W04": {"tiktok": 90.0, "linkedin": 10.0},  # after the week shown: left out
        },
        approved={"2025-W02": {"tiktok": 55.0, "linkedin": 45.0}},  # W03 not approved
    )
    weeks = {w.week: w for w in view.budget_weeks}
    assert list(weeks) == ["2025-W01", "2025-W02", "2025-W03"]
    assert weeks["2025-W01"].proposed == {} and weeks["2025-W01"].approved is None
    assert weeks["2025-W02"].approved == {"tiktok": 55.0, "linkedin": 45.0}
    assert weeks["2025-W03"].spent == {"tiktok": 50.0}
    plan = view.chart("plan")
    assert plan is not None and plan.kind == "grouped_bars" and plan.value_format == "euro"
    series = {s.label: s.values for s in plan.series}
    assert series == {
        "Proposed": (None, 100.0, 100.0),
        "Approved": (None, 100.0, None),
        "Spent": (50.0, 50.0, 50.0),
    }


def test_the_plan_chart_keeps_the_last_weeks_only_and_needs_something_to_show() -> None:
    many = {f"2026-W{n:02d}": {"tiktok": float(n)} for n in range(1, 30)}
    view = build_dashboard(
        week="2026-W29",
        variants=VARIANTS,
        funnel=None,
        proposal=None,
        health=None,
        insights=None,
        proposals=many,
    )
    assert len(view.budget_weeks) == PLAN_WEEKS
    assert view.budget_weeks[-1].week == "2026-W29"
    empty = build_dashboard(
        week="2026-W29", variants=VARIANTS, funnel=None, proposal=None, health=None, insights=None
    )
    assert empty.budget_weeks == () and empty.chart("plan") is None
