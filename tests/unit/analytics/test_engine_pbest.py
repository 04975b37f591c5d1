"""Chance of being best and expected maximum, against closed forms and independent integrals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special, stats

from analytics.allocation.pbest import compare, probability_best

pytestmark = pytest.mark.unit


def two_arm_closed_form(a1: float, b1: float, a2: float, b2: float) -> float:
    """P(X > Y), X ~ Gamma(a1, rate b1), Y ~ Gamma(a2, rate b2).

    b1·X / (b1·X + b2·Y) ~ Beta(a1, a2) and X > Y ⇔ that ratio > b1 / (b1 + b2), so
    P(X > Y) = 1 - I_{b1/(b1+b2)}(a1, a2) = I_{b2/(b1+b2)}(a2, a1).
    """
    return float(special.betainc(a2, a1, b2 / (b1 + b2)))


@pytest.mark.parametrize(
    ("a1", "b1", "a2", "b2"),
    [
        (3, 100, 5, 120),
        (50, 1000, 60, 1100),
        (1, 1, 1, 1),
        (0.5, 2, 300, 5000),
        (2000, 10000, 30, 160),
        (0.3, 10, 0.3, 12),
        (1.2, 40, 400, 10000),
        (12.5, 310.0, 12.5, 300.0),
    ],
)
def test_two_arms_match_the_beta_function_identity(
    a1: float, b1: float, a2: float, b2: float
) -> None:
    chances = probability_best(np.array([a1, a2]), np.array([b1, b2]))
    expected = two_arm_closed_form(a1, b1, a2, b2)
    assert chances[0] == pytest.approx(expected, abs=2e-5)
    assert chances.sum() == pytest.approx(1.0, abs=1e-12)


def test_integer_shapes_match_the_finite_sum_formula() -> None:
    # For integer a1: P(Y > X) = Σ_{k<a1} C(a2+k-1, k) p^a2 (1-p)^k with p = b2/(b1+b2)
    # (the negative binomial view of two Poisson processes racing).
    a1, b1, a2, b2 = 4, 90.0, 6, 110.0
    p = b2 / (b1 + b2)
    y_first = sum(special.comb(a2 + k - 1, k) * p**a2 * (1 - p) ** k for k in range(a1))
    chances = probability_best(np.array([a1, a2], float), np.array([b1, b2]))
    assert chances[1] == pytest.approx(1 - y_first, abs=2e-5)


def test_many_arms_agree_with_direct_numerical_integration() -> None:
    rng = np.random.default_rng(7)
    shape = rng.uniform(1, 60, 6)
    rate = shape / rng.uniform(0.02, 0.05, 6)
    chances = probability_best(shape, rate)
    for i in range(6):
        others = [j for j in range(6) if j != i]

        def integrand(x: float, i: int = i, others: list[int] = others) -> float:
            value = stats.gamma.pdf(x, shape[i], scale=1 / rate[i])
            for j in others:
                value *= stats.gamma.cdf(x, shape[j], scale=1 / rate[j])
            return float(value)

        exact, _ = integrate.quad(integrand, 0, 1, limit=400, points=[0.02, 0.035, 0.05])
        assert chances[i] == pytest.approx(exact, abs=5e-5)


def test_expected_maximum_of_two_arms_matches_an_independent_integral() -> None:
    shape, rate = np.array([20.0, 35.0]), np.array([600.0, 1000.0])

    def survival_of_max(x: float) -> float:
        both_below = stats.gamma.cdf(x, 20, scale=1 / 600) * stats.gamma.cdf(x, 35, scale=1 / 1000)
        return float(1 - both_below)

    exact, _ = integrate.quad(survival_of_max, 0, 1, limit=400)
    assert compare(shape, rate).expected_max == pytest.approx(exact, rel=1e-4)


def test_identical_arms_share_the_chance_evenly() -> None:
    chances = probability_best(np.full(7, 4.0), np.full(7, 150.0))
    assert np.allclose(chances, 1 / 7, atol=1e-9)


def test_an_arm_far_below_the_others_gets_nothing_and_one_arm_gets_everything() -> None:
    chances = probability_best(np.array([400.0, 400.0, 400.0]), np.array([4000.0, 4100.0, 40000.0]))
    assert chances[2] == 0.0
    assert chances[0] > chances[1] > 0
    assert probability_best(np.array([3.0]), np.array([10.0])).tolist() == [1.0]


def test_ten_thousand_arms_sum_to_one_and_rank_by_posterior_mean() -> None:
    rng = np.random.default_rng(11)
    shape = np.full(10_000, 30.0)
    rate = shape / rng.lognormal(np.log(0.03), 0.2, 10_000)
    chances = probability_best(shape, rate)
    assert chances.sum() == pytest.approx(1.0, abs=1e-9)
    assert (chances >= 0).all()
    order = np.argsort(rate)  # equal shapes: a lower rate means a higher mean
    assert chances[order[0]] == chances.max()
