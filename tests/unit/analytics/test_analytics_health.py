"""Data-health checks: pure functions over the weekly facts and the approved plans."""

from __future__ import annotations

from decimal import Decimal

import pytest
from scipy import stats

from analytics.facts.domain import CampaignFunnel, VariantFunnel, WeekFacts
from analytics.facts.health import (
    MIN_CLICKS_WITHOUT_VISITS,
    MIN_VISITS_WITHOUT_SPEND,
    check_campaign,
    check_sample_ratio,
    check_variant_week,
    plan_in_force,
)

pytestmark = pytest.mark.unit


def codes(facts: WeekFacts) -> list[str]:
    return [issue.code for issue in check_variant_week("ig", "2026-W47", facts)]


def test_healthy_weeks_raise_nothing() -> None:
    facts = WeekFacts(spend=Decimal("120.00"), clicks=80, visits=60, leads=4)
    assert codes(facts) == []
    assert codes(WeekFacts()) == []  # a creative with no data at all is not unhealthy


def test_spend_without_a_click_is_flagged_once_it_is_more_than_a_click_or_two() -> None:
    assert codes(WeekFacts(spend=Decimal("45.00"), clicks=0)) == ["spend_without_clicks"]
    assert codes(WeekFacts(spend=Decimal("3.00"), clicks=0)) == []  # one click may cost that
    (issue,) = check_variant_week("ig", "2026-W47", WeekFacts(spend=Decimal("45"), clicks=0))
    assert "ig" in issue.message and "€45.00" in issue.message and "2026-W47" in issue.message
    assert issue.figures == {"spend": 45.0, "clicks": 0}


def test_clicks_that_never_became_visits_are_flagged() -> None:
    many = WeekFacts(spend=Decimal("50"), clicks=MIN_CLICKS_WITHOUT_VISITS, visits=0)
    assert codes(many) == ["clicks_without_visits"]
    few = WeekFacts(spend=Decimal("50"), clicks=MIN_CLICKS_WITHOUT_VISITS - 1, visits=0)
    assert codes(few) == []
    assert codes(WeekFacts(spend=Decimal("50"), clicks=300, visits=1)) == []


def test_visits_without_imported_spend_are_flagged() -> None:
    assert codes(WeekFacts(visits=MIN_VISITS_WITHOUT_SPEND)) == ["visits_without_spend"]
    assert codes(WeekFacts(visits=MIN_VISITS_WITHOUT_SPEND - 1)) == []  # shared links
    (issue,) = check_variant_week("tt", "2026-W48", WeekFacts(visits=40))
    assert "looks free" in issue.message


def test_sample_ratio_mismatch_uses_the_chi_square_of_euros() -> None:
    planned = {"a": 500.0, "b": 500.0}
    delivered = {"a": Decimal("600"), "b": Decimal("400")}

    (issue,) = check_sample_ratio("2026-W47", planned, delivered)

    # closed form: sum (o - e)^2 / e = 2 * 100^2 / 500 = 40 on 1 df
    assert issue.code == "sample_ratio_mismatch"
    assert issue.figures["chi_square"] == pytest.approx(40.0)
    assert issue.figures["p_value"] == pytest.approx(float(stats.chi2.sf(40.0, 1)))
    assert "a got 60% of the spend against 50% planned" in issue.message
    assert "p < 0.001" in issue.message


def test_delivery_close_to_the_plan_is_not_a_mismatch() -> None:
    # chi-square = 2 * 40^2 / 500 = 6.4, p = 0.011: chance, at the 0.001 threshold
    assert check_sample_ratio("2026-W47", {"a": 500, "b": 500}, {"a": 540, "b": 460}) == []
    # unequal plans are compared as shares of what was delivered
    assert check_sample_ratio("2026-W47", {"a": 750, "b": 250}, {"a": 300, "b": 100}) == []


def test_spend_on_a_creative_the_plan_gave_nothing_is_reported_on_its_own() -> None:
    issues = check_sample_ratio(
        "2026-W47", {"a": 500, "b": 500, "c": 0}, {"a": 500, "b": 500, "c": Decimal("80")}
    )
    assert [(i.code, i.variant_id) for i in issues] == [("spend_outside_plan", "c")]


def test_the_plan_in_force_is_the_latest_approved_at_or_before_the_week() -> None:
    approved = {"2026-W45": {"a": 1.0}, "2026-W47": {"a": 2.0}}
    assert plan_in_force("2026-W44", approved) == {}
    assert plan_in_force("2026-W46", approved) == {"a": 1.0}
    assert plan_in_force("2026-W47", approved) == {"a": 2.0}
    assert plan_in_force("2027-W02", approved) == {"a": 2.0}


def test_a_campaign_check_combines_variant_weeks_and_the_plan_per_week() -> None:
    funnel = CampaignFunnel(
        campaign_id="c1",
        variants=(
            VariantFunnel(
                "a",
                (
                    ("2026-W47", WeekFacts(spend=Decimal("800"), clicks=100, visits=70)),
                    ("2026-W48", WeekFacts(spend=Decimal("500"), clicks=90, visits=60)),
                ),
                WeekFacts(),
            ),
            VariantFunnel(
                "b",
                (
                    ("2026-W47", WeekFacts(spend=Decimal("200"), clicks=0)),
                    ("2026-W48", WeekFacts(spend=Decimal("500"), clicks=40, visits=30)),
                ),
                WeekFacts(),
            ),
        ),
        totals=WeekFacts(),
    )

    issues = check_campaign(funnel, {"2026-W47": {"a": 500.0, "b": 500.0}})

    assert [(i.week, i.variant_id, i.code) for i in issues] == [
        ("2026-W47", None, "sample_ratio_mismatch"),
        ("2026-W47", "b", "spend_without_clicks"),
    ]
    assert check_campaign(funnel, {}) == [issues[1]]  # no plan: nothing to compare with
