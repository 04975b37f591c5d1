"""Weekly noise weights and the knowledge-gradient split, against hand computations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analytics.allocation import AllocationPolicy, AllocationRequest, allocate, posteriors
from analytics.allocation.contract import HistoryRow, Variant
from analytics.allocation.exploration import (
    MAX_TRIAL_SHARE,
    TRIAL_SHARES,
    knowledge_gradient_targets,
)
from analytics.allocation.posteriors import noise_weights, weekly_noise

pytestmark = pytest.mark.unit


def test_the_weekly_noise_is_recovered_from_counts_with_a_known_shock() -> None:
    rng = np.random.default_rng(7)
    creatives, weeks, shock = 40, 10, 0.04  # a weekly CV of 20%
    unit = np.repeat(np.arange(creatives), weeks)
    exposure = np.full(unit.size, 2000.0)
    rate = rng.uniform(0.05, 0.15, creatives)[unit] * rng.gamma(1 / shock, shock, unit.size)
    conversions = rng.poisson(rate * exposure).astype(float)
    estimate = weekly_noise(unit, exposure, conversions, creatives)
    assert estimate == pytest.approx(shock, rel=0.25)


def test_pure_poisson_counts_give_less_than_the_prior_noise() -> None:
    rng = np.random.default_rng(3)
    unit = np.repeat(np.arange(30), 8)
    exposure = np.full(unit.size, 1000.0)
    conversions = rng.poisson(0.05 * exposure).astype(float)
    estimate = weekly_noise(unit, exposure, conversions, 30)
    # 210 degrees of freedom of "no shock" against 4 of the prior.
    assert 0.0 <= estimate < posteriors.WEEKLY_NOISE_PRIOR / 5


def test_one_week_per_creative_keeps_the_prior_noise() -> None:
    unit = np.arange(5)
    exposure = np.full(5, 100.0)
    conversions = np.array([1.0, 9.0, 3.0, 0.0, 20.0])
    assert weekly_noise(unit, exposure, conversions, 5) == posteriors.WEEKLY_NOISE_PRIOR


def test_a_week_is_worth_less_the_more_it_expects_and_a_thin_one_nearly_all() -> None:
    unit = np.array([0, 0, 1, 1])
    exposure = np.array([10_000.0, 10_000.0, 100.0, 100.0])
    conversions = np.array([1000.0, 1000.0, 1.0, 1.0])
    weights = noise_weights(unit, exposure, conversions, 2, noise=0.01)
    # Creative 0 expects about 1000 a week: 1 / (1 + 0.01 · 1000) ≈ 1/11.
    assert weights[0] == pytest.approx(1 / 11, rel=0.01)
    # Creative 1 expects about one (2 conversions shrunk half a conversion toward the
    # campaign's 2002.5 / 20,200 per euro): nearly full weight.
    thin_rate = 2.5 / (200 + 0.5 / (2002.5 / 20_200))
    assert weights[2] == pytest.approx(1 / (1 + 0.01 * thin_rate * 100))
    assert weights[2] > 0.98
    assert noise_weights(unit, exposure, conversions, 2, noise=0.0).tolist() == [1.0] * 4


def test_without_a_difference_in_means_the_split_is_even() -> None:
    targets = knowledge_gradient_targets(
        np.full(4, 2.0), np.full(4, 100.0), 1000.0, lookahead_weeks=6
    )
    assert targets.tolist() == [0.25] * 4


def test_a_settled_comparison_funds_only_the_leader() -> None:
    # 2,000 conversions each, rates 0.10 and 0.05 per euro: nothing left to learn.
    targets = knowledge_gradient_targets(
        np.array([2000.0, 2000.0]), np.array([20_000.0, 40_000.0]), 1000.0, lookahead_weeks=6
    )
    assert targets.tolist() == [1.0, 0.0]


def test_an_uncertain_contender_gets_the_trial_whose_value_exceeds_its_cost() -> None:
    shape = np.array([400.0, 4.0])  # leader known well; contender from 4 conversions
    rate = np.array([4000.0, 50.0])  # means 0.10 and 0.08 per euro
    budget, lookahead = 1000.0, 6.0
    targets = knowledge_gradient_targets(shape, rate, budget, lookahead_weeks=lookahead)
    # By hand, per trial share: value = lookahead·budget·s·f(-Δ/s), s the sd revealed.
    mean, sd = shape / rate, np.sqrt(shape) / rate
    gap = mean[0] - mean[1]
    exposure = TRIAL_SHARES * budget
    revealed = sd[1] * np.sqrt(exposure / (rate[1] + exposure))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = -gap / revealed
        gain = np.where(revealed > 0, revealed * (z * stats.norm.cdf(z) + stats.norm.pdf(z)), 0.0)
    net = lookahead * budget * gain - exposure * gap
    best = TRIAL_SHARES[int(np.argmax(net))]
    assert best > 0
    assert targets[1] == pytest.approx(best)
    assert targets.sum() == pytest.approx(1.0)


def test_a_longer_lookahead_never_buys_less_learning() -> None:
    shape = np.array([50.0, 6.0, 3.0, 8.0])
    rate = np.array([500.0, 80.0, 40.0, 90.0])
    shares = [
        1.0 - knowledge_gradient_targets(shape, rate, 2000.0, lookahead_weeks=h)[0]
        for h in (0.0, 2.0, 6.0, 20.0)
    ]
    assert shares[0] == 0.0
    assert shares == sorted(shares)
    assert shares[-1] <= MAX_TRIAL_SHARE + 1e-12


def _history() -> list[HistoryRow]:
    """A leader well known at 0.10 per euro; a contender seen for one week at 0.07."""
    rows = [
        HistoryRow(
            variant_id="leader",
            week=week,
            spend=3000,
            impressions=90_000,
            clicks=3000,
            conversions=300,
        )
        for week in ("2026-W41", "2026-W42", "2026-W43", "2026-W44", "2026-W45", "2026-W46")
    ]
    rows.append(
        HistoryRow(
            variant_id="contender",
            week="2026-W46",
            spend=100,
            impressions=3000,
            clicks=100,
            conversions=7,
        )
    )
    return rows


def _plan(policy: AllocationPolicy) -> dict[str, float]:
    request = AllocationRequest(
        campaign_id="c-kg",
        week="2026-W48",
        budget=3000,
        variants=[
            Variant(variant_id="leader", channel="indeed", created_week="2026-W41"),
            Variant(variant_id="contender", channel="indeed", created_week="2026-W46"),
        ],
        history=_history(),
        policy=policy,
    )
    return allocate(request).allocation


def test_a_plausible_contender_gets_a_trial_that_can_settle_the_question() -> None:
    learning = _plan(AllocationPolicy(max_change=None))
    crumbs = _plan(AllocationPolicy(max_change=None, allocation_rule="probability_power"))
    # A one-in-five chance of being best: shares ∝ P(best)^5 leave the contender its 1%
    # exploration share, while a trial of 5-50% of the budget is what learning is worth.
    assert crumbs["contender"] == pytest.approx(0.02 * 3000 / 2, abs=0.01)
    assert 0.05 * 3000 <= learning["contender"] <= MAX_TRIAL_SHARE * 3000 + 0.01
    assert learning["leader"] + learning["contender"] == pytest.approx(3000, abs=0.01)


def test_without_a_lookahead_only_the_exploration_share_goes_to_learning() -> None:
    amounts = _plan(AllocationPolicy(max_change=None, lookahead_weeks=0))
    assert amounts["contender"] == pytest.approx(0.02 * 3000 / 2, abs=0.01)
