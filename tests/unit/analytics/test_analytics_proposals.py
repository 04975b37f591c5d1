"""Building the engine's request from stored facts: goal, stand-ins, eligibility, policy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from analytics.allocation import AllocationRequest, allocate
from analytics.catalog.domain import CampaignState, VariantAttributes
from analytics.facts.domain import CampaignFunnel, VariantFunnel, WeekFacts
from analytics.proposals.domain import (
    DEFAULT_LEAD_RATIOS,
    PRIOR_LEADS,
    NoEligibleVariants,
    SettledCounts,
    build_request,
    fingerprint,
    is_settled,
    shrunk_ratio,
)
from koers.events import CampaignGoal, Guardrails

pytestmark = pytest.mark.unit


def campaign(goal: CampaignGoal = "lead", **guardrails: object) -> CampaignState:
    return CampaignState(
        campaign_id="c1",
        tenant_id="t1",
        slug="s",
        name="n",
        goal=goal,
        weekly_budget=Decimal("1000.00"),
        status="published",
        guardrails=Guardrails.model_validate(guardrails),
    )


def creative(variant_id: str, live: bool = True, channel: str = "instagram") -> VariantAttributes:
    return VariantAttributes(
        variant_id=variant_id,
        name=variant_id,
        channel=channel,
        creative_format="video",
        hook="",
        live=live,
        tags=("hook:question",),
    )


def funnel(cells: dict[str, dict[str, WeekFacts]]) -> CampaignFunnel:
    return CampaignFunnel(
        campaign_id="c1",
        variants=tuple(
            VariantFunnel(v, tuple(sorted(weeks.items())), WeekFacts())
            for v, weeks in sorted(cells.items())
        ),
        totals=WeekFacts(),
    )


def facts(spend: str, leads: int = 0, hires: int = 0, applications: int = 0) -> WeekFacts:
    return WeekFacts(
        spend=Decimal(spend),
        impressions=1000,
        clicks=50,
        leads=leads,
        hires=hires,
        applications=applications,
    )


def test_the_goal_decides_the_conversion_and_only_past_weeks_are_history() -> None:
    cells = {
        "a": {"2026-W45": facts("100", leads=5, applications=2), "2026-W48": facts("90", 4)},
        "b": {"2026-W46": facts("80", leads=1, applications=3)},
    }
    attributes = {"a": creative("a"), "b": creative("b", channel="tiktok")}

    by_leads = build_request(campaign("lead"), attributes, funnel(cells), week="2026-W48")
    by_apps = build_request(campaign("application"), attributes, funnel(cells), week="2026-W48")

    request = by_leads.request
    assert by_leads.conversion == "leads" and by_apps.conversion == "applications"
    assert [(r["variant_id"], r["week"], r["conversions"]) for r in request.history] == [
        ("a", "2026-W45", 5.0),
        ("b", "2026-W46", 1.0),
    ]
    assert [r["conversions"] for r in by_apps.request.history] == [2.0, 3.0]
    assert request.budget == 1000.0 and request.week == "2026-W48"
    assert [(v.variant_id, v.channel, v.created_week) for v in request.variants] == [
        ("a", "instagram", "2026-W45"),
        ("b", "tiktok", "2026-W46"),
    ]
    assert request.variants[0].attributes == {
        "creative_format": "video",
        "employee_generated": False,
        "tags": ["hook:question"],
    }
    assert by_leads.stand_in is None


def test_only_live_creatives_are_eligible_but_retired_ones_stay_in_history() -> None:
    cells = {"old": {"2026-W40": facts("50", 2)}, "new": {}}
    attributes = {"old": creative("old", live=False), "new": creative("new")}

    proposal = build_request(campaign(), attributes, funnel(cells), week="2026-W48")

    assert [v.variant_id for v in proposal.request.variants] == ["new"]
    assert proposal.request.variants[0].created_week == "2026-W48"  # no facts yet
    assert [r["variant_id"] for r in proposal.request.history] == ["old"]
    with pytest.raises(NoEligibleVariants, match="no live creative"):
        build_request(campaign(), {"old": attributes["old"]}, funnel(cells), week="2026-W48")


def test_the_budget_and_previous_allocation_are_passed_through() -> None:
    proposal = build_request(
        campaign(),
        {"a": creative("a")},
        funnel({}),
        week="2026-W48",
        budget=Decimal("250.50"),
        previous_allocation={"a": 200.0},
    )
    assert proposal.request.budget == 250.5
    assert proposal.request.previous_allocation == {"a": 200.0}


def test_guardrails_become_the_engine_policy() -> None:
    guarded = campaign(
        exploration_share=0.15,
        max_weekly_change=0.3,
        min_spend_per_creative=25.0,
        channel_caps={"tiktok": 0.4, "linkedin": 1.5},
    )
    policy = build_request(
        guarded, {"a": creative("a")}, funnel({}), week="2026-W48"
    ).request.policy
    assert (policy.exploration_share, policy.max_change, policy.min_spend) == (0.15, 0.3, 25.0)
    assert policy.channel_caps == {"tiktok": 0.4, "linkedin": 1.0}  # a share cannot pass 1
    assert policy.maturity_lag_weeks == 2  # fast goals keep the engine's maturity model


def test_slow_goals_stand_in_leads_times_the_shrunk_ratio_for_young_weeks() -> None:
    # Planned W50: hires settle after 6 weeks, so W43 and earlier are settled.
    cells = {
        "a": {
            "2026-W40": facts("100", leads=40, hires=4),
            "2026-W43": facts("100", leads=60, hires=2),
            "2026-W47": facts("100", leads=20, hires=0),  # young: leads x ratio
            "2026-W49": facts("100", leads=10, hires=3),  # young, but hires already show
        }
    }
    tenant = SettledCounts(leads=1000.0, conversions=80.0)

    proposal = build_request(
        campaign("hire"),
        {"a": creative("a")},
        funnel(cells),
        week="2026-W50",
        tenant_settled=tenant,
    )

    pooled = shrunk_ratio(80.0, 1000.0, DEFAULT_LEAD_RATIOS["hires"], PRIOR_LEADS)
    ratio = shrunk_ratio(6.0, 100.0, pooled, PRIOR_LEADS)
    assert pooled == pytest.approx((80 + 50 * 0.05) / 1050)
    stand_in = proposal.stand_in
    assert stand_in is not None
    assert stand_in.ratio == pytest.approx(ratio)
    assert stand_in.weeks == ("2026-W47", "2026-W49")
    assert (stand_in.settled_leads, stand_in.settled_conversions) == (100.0, 6.0)
    assert [r["conversions"] for r in proposal.request.history] == pytest.approx(
        [4.0, 2.0, 20 * ratio, 3.0]
    )
    assert "hires per lead" in stand_in.sentence()
    # stand-ins are complete in expectation: no second maturity correction
    assert proposal.request.policy.maturity_lag_weeks == 0


def test_without_settled_data_the_ratio_is_the_default() -> None:
    cells = {"a": {"2026-W49": facts("100", leads=10)}}
    proposal = build_request(
        campaign("interview"), {"a": creative("a")}, funnel(cells), week="2026-W50"
    )
    assert proposal.stand_in is not None
    assert proposal.stand_in.ratio == pytest.approx(DEFAULT_LEAD_RATIOS["interviews"])
    assert proposal.request.history[0]["conversions"] == pytest.approx(2.5)


@pytest.mark.parametrize(
    ("week", "counter", "settled"),
    [
        ("2026-W46", "interviews", True),  # 4 weeks before W50 > 3
        ("2026-W47", "interviews", False),
        ("2026-W43", "hires", True),
        ("2026-W44", "hires", False),
        ("2026-W52", "hires", False),  # across the new year: W52 -> 2027-W03 is 4 weeks
        ("2026-W53", "leads", True),  # fast counters are always settled
    ],
)
def test_settled_weeks(week: str, counter: str, settled: bool) -> None:
    planned = "2027-W03" if week >= "2026-W52" else "2026-W50"
    assert is_settled(week, planned, counter) is settled


def test_the_fingerprint_follows_the_inputs() -> None:
    cells = {"a": {"2026-W45": facts("100", leads=5)}}
    first = build_request(campaign(), {"a": creative("a")}, funnel(cells), week="2026-W48")
    again = build_request(campaign(), {"a": creative("a")}, funnel(cells), week="2026-W48")
    cells["a"]["2026-W45"] = facts("100", leads=6)  # a late lead restated the week
    later = build_request(campaign(), {"a": creative("a")}, funnel(cells), week="2026-W48")

    assert fingerprint(first.request) == fingerprint(again.request) == first.fingerprint
    assert later.fingerprint != first.fingerprint
    assert len(first.fingerprint) == 64


def test_earlier_campaigns_take_the_trusted_route_and_answer_as_validated_ones() -> None:
    """The weekly proposal's earlier campaigns are its own stored facts: they skip the
    row-by-row validation, and the request, its fingerprint and the split are those the
    same rows give through the strict route."""
    cells = {"a": {"2026-W45": facts("100", leads=5)}, "b": {"2026-W46": facts("80", 1)}}
    attributes = {"a": creative("a"), "b": creative("b", channel="tiktok")}
    earlier_cells = {
        "x": {f"2026-W{w}": facts("200", leads=8 + w % 3) for w in range(30, 40)},
        "y": {f"2026-W{w}": facts("150", leads=2) for w in range(32, 44)},
        "z": {"2026-W50": facts("70", leads=9)},  # after the planned week: left out
    }
    earlier_attributes = {
        "x": creative("x", live=False, channel="tiktok"),
        "y": creative("y", live=False),
        "z": creative("z"),
    }
    earlier = [("c0", earlier_attributes, funnel(earlier_cells))]

    proposal = build_request(
        campaign(), attributes, funnel(cells), week="2026-W48", earlier=earlier
    )

    (prior,) = proposal.request.prior_campaigns
    assert [v["variant_id"] for v in prior.variants] == ["x", "y"]
    assert len(prior.history) == 22
    strict = AllocationRequest.model_validate(proposal.request.model_dump())
    assert strict.model_dump() == proposal.request.model_dump()
    assert fingerprint(strict) == proposal.fingerprint
    answer = allocate(proposal.request)
    assert answer.earlier_campaigns is not None
    assert answer == allocate(strict)
