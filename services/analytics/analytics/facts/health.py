"""Data-health checks on the weekly facts: is the data the allocator stands on sound?

Pure functions over the funnel read model. Each finding is a :class:`HealthIssue` with a
code, the variant and week it concerns, the figures behind it and a sentence a marketer
can act on. The checks:

- **spend without clicks**: the ad platform billed a creative that brought no click —
  usually a broken ad or a wrong variant id in the spend import;
- **clicks without visits**: clicks that never reached the landing page — a broken link
  or missing ``utm`` tagging;
- **visits without spend**: visits attributed to a creative for which no spend was
  imported — a missing import, which makes that creative look free;
- **sample-ratio mismatch**: the spend the platforms delivered per creative differs from
  the approved allocation by more than chance allows (chi-square goodness of fit,
  flagged at p < 0.001), so the allocation did not happen as planned.

Small figures are not flagged: with a handful of clicks a missing visit is chance. The
thresholds below are where chance becomes implausible (see each constant).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from scipy import stats

from analytics.facts.domain import CampaignFunnel, WeekFacts

IssueCode = Literal[
    "spend_without_clicks",
    "clicks_without_visits",
    "visits_without_spend",
    "sample_ratio_mismatch",
    "spend_outside_plan",
]

MIN_SPEND_WITHOUT_CLICKS = Decimal("10.00")
"""Euros billed with no click before we flag it: below a typical cost per click or two,
no click is ordinary."""

MIN_CLICKS_WITHOUT_VISITS = 10
"""Clicks with no visit before we flag it: even if only half of all clicks load the page,
ten clicks without one visit happen by chance about once in a thousand."""

MIN_VISITS_WITHOUT_SPEND = 5
"""Visits attributed to a creative with no spend before we flag it: a few come from
shared links, more mean a spend import is missing."""

SRM_P_VALUE = 0.001
"""Sample-ratio mismatch is flagged below this p-value, the usual threshold for SRM:
delivery is checked every week for every campaign, so a looser one would cry wolf."""


@dataclass(frozen=True)
class HealthIssue:
    code: IssueCode
    week: str
    message: str
    variant_id: str | None = None
    figures: dict[str, float] = field(default_factory=dict)


def _euros(amount: Decimal | float) -> str:
    return f"€{float(amount):,.2f}"


def check_variant_week(variant_id: str, week: str, facts: WeekFacts) -> list[HealthIssue]:
    """The delivery-versus-funnel checks for one creative in one ISO week."""
    issues: list[HealthIssue] = []
    if facts.spend >= MIN_SPEND_WITHOUT_CLICKS and facts.clicks == 0:
        issues.append(
            HealthIssue(
                code="spend_without_clicks",
                week=week,
                variant_id=variant_id,
                figures={"spend": float(facts.spend), "clicks": 0},
                message=(
                    f"{variant_id} spent {_euros(facts.spend)} in {week} without a single "
                    "click: check the ad is running and the spend import names the right "
                    "creative."
                ),
            )
        )
    if facts.clicks >= MIN_CLICKS_WITHOUT_VISITS and facts.visits == 0:
        issues.append(
            HealthIssue(
                code="clicks_without_visits",
                week=week,
                variant_id=variant_id,
                figures={"clicks": facts.clicks, "visits": 0},
                message=(
                    f"{variant_id} got {facts.clicks} clicks in {week} but no visit reached "
                    "the landing page: check the ad's link and its variant tag."
                ),
            )
        )
    if facts.visits >= MIN_VISITS_WITHOUT_SPEND and facts.spend == 0:
        issues.append(
            HealthIssue(
                code="visits_without_spend",
                week=week,
                variant_id=variant_id,
                figures={"visits": facts.visits, "spend": 0.0},
                message=(
                    f"{variant_id} brought {facts.visits} visits in {week} but no spend was "
                    "imported for it: until the spend arrives it looks free, which flatters "
                    "it in the allocation."
                ),
            )
        )
    return issues


def check_delivery_consistency(funnel: CampaignFunnel) -> list[HealthIssue]:
    """Every variant-week of a campaign through :func:`check_variant_week`, by week."""
    issues = [
        issue
        for variant in funnel.variants
        for week, facts in variant.weeks
        for issue in check_variant_week(variant.variant_id, week, facts)
    ]
    return sorted(issues, key=lambda issue: (issue.week, issue.variant_id or "", issue.code))


def check_sample_ratio(
    week: str, planned: Mapping[str, float], delivered: Mapping[str, Decimal | float]
) -> list[HealthIssue]:
    """Compare a week's delivered spend shares with the shares of the approved plan.

    The chi-square goodness-of-fit test counts spend in whole euros (one euro is one
    "sample"). Spend on creatives the plan gave nothing is reported on its own, as it
    cannot enter the test (its expected count is zero).
    """
    issues: list[HealthIssue] = []
    funded = {variant: amount for variant, amount in planned.items() if amount > 0}
    outside = {
        variant: float(amount)
        for variant, amount in delivered.items()
        if variant not in funded and float(amount) >= 1.0
    }
    for variant, amount in sorted(outside.items()):
        issues.append(
            HealthIssue(
                code="spend_outside_plan",
                week=week,
                variant_id=variant,
                figures={"spend": amount},
                message=(
                    f"{variant} spent {_euros(amount)} in {week} although the approved "
                    "allocation gave it nothing: check it is paused on the ad platform."
                ),
            )
        )
    variants = sorted(funded)
    observed = [float(delivered.get(variant, 0.0)) for variant in variants]
    total_observed = sum(observed)
    if len(variants) < 2 or total_observed < 1.0:
        return issues
    total_planned = sum(funded.values())
    expected = [total_observed * funded[variant] / total_planned for variant in variants]
    result = stats.chisquare(observed, expected)
    p_value = float(result.pvalue)
    if p_value >= SRM_P_VALUE:
        return issues
    shares = [
        (variant, obs / total_observed, funded[variant] / total_planned)
        for variant, obs in zip(variants, observed, strict=True)
    ]
    shares.sort(key=lambda share: abs(share[1] - share[2]), reverse=True)
    detail = ", ".join(
        f"{variant} got {got:.0%} of the spend against {plan:.0%} planned"
        for variant, got, plan in shares[:3]
    )
    issues.append(
        HealthIssue(
            code="sample_ratio_mismatch",
            week=week,
            figures={"chi_square": float(result.statistic), "p_value": p_value},
            message=(
                f"In {week} the ad platforms did not spend as the approved allocation "
                f"planned ({detail}; chi-square p < {SRM_P_VALUE:g}), so this week's "
                "results do not follow the plan: check the budgets set on the platforms."
            ),
        )
    )
    return issues


def plan_in_force(week: str, approved: Mapping[str, Mapping[str, float]]) -> Mapping[str, float]:
    """The approved allocation that governed ``week``: its own, or the latest before it."""
    earlier = [planned_week for planned_week in approved if planned_week <= week]
    return approved[max(earlier)] if earlier else {}


def check_campaign(
    funnel: CampaignFunnel, approved: Mapping[str, Mapping[str, float]]
) -> list[HealthIssue]:
    """Every health check of a campaign: per variant-week, then the plan per week.

    ``approved`` maps an ISO week to the allocation approved for it ({variant: euros}).
    """
    issues = check_delivery_consistency(funnel)
    spend_by_week: dict[str, dict[str, Decimal]] = {}
    for variant in funnel.variants:
        for week, facts in variant.weeks:
            if facts.spend > 0:
                spend_by_week.setdefault(week, {})[variant.variant_id] = facts.spend
    for week in sorted(spend_by_week):
        plan = plan_in_force(week, approved)
        if plan:
            issues.extend(check_sample_ratio(week, plan, spend_by_week[week]))
    return sorted(issues, key=lambda issue: (issue.week, issue.variant_id or "", issue.code))
