"""Classical per-creative intervals, checked against their closed forms."""

from __future__ import annotations

import math

import pytest

from analytics.insights.intervals import (
    check_variant,
    conversion_rate,
    cost_per_conversion,
    poisson_exact_interval,
)

pytestmark = pytest.mark.unit


def test_exact_poisson_interval_of_zero_is_the_rule_of_three_at_its_level() -> None:
    # With no event the upper 95% one-sided bound (90% two-sided) is -ln(0.05) = 2.996.
    low, high = poisson_exact_interval(0, level=0.90)
    assert low == 0.0
    assert high == pytest.approx(-math.log(0.05), rel=1e-9)


def test_exact_poisson_interval_of_one_matches_the_gamma_quantiles() -> None:
    # For k = 1: lower solves 1 - exp(-m) = 0.05, i.e. m = -ln(0.95).
    low, high = poisson_exact_interval(1, level=0.90)
    assert low == pytest.approx(-math.log(0.95), rel=1e-9)
    # upper solves P(X <= 1 | m) = exp(-m) (1 + m) = 0.05
    assert math.exp(-high) * (1 + high) == pytest.approx(0.05, rel=1e-9)


def test_cost_per_conversion_inverts_the_count_interval() -> None:
    interval = cost_per_conversion(1000.0, 10)
    low_count, high_count = poisson_exact_interval(10)
    assert interval.estimate == pytest.approx(100.0)
    assert interval.low == pytest.approx(1000.0 / high_count)
    assert interval.high == pytest.approx(1000.0 / low_count)
    assert interval.low < 100.0 < interval.high


def test_no_conversion_yet_leaves_the_cost_unbounded_above() -> None:
    interval = cost_per_conversion(300.0, 0)
    assert interval.estimate is None and interval.high is None
    assert interval.low == pytest.approx(300.0 / -math.log(0.05))
    nothing = cost_per_conversion(0.0, 3)
    assert (nothing.estimate, nothing.low, nothing.high) == (None, None, None)


def test_wilson_interval_matches_its_closed_form() -> None:
    successes, n, z = 12, 200, 1.6448536269514722  # 90%
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)

    interval = conversion_rate(successes, n)

    assert interval is not None
    assert interval.estimate == pytest.approx(0.06)
    assert interval.low == pytest.approx(centre - half, rel=1e-9)
    assert interval.high == pytest.approx(centre + half, rel=1e-9)


def test_rates_without_clicks_or_with_organic_conversions_are_left_out() -> None:
    assert conversion_rate(0, 0) is None
    assert conversion_rate(5, 3) is None  # more leads than clicks: organic visits
    check = check_variant("ig", 250.0, 0, 0)
    assert check.conversion_rate_per_click is None
    assert check.cost_per_conversion.estimate is None


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        poisson_exact_interval(-1)
