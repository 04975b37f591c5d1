"""Empirical-Bayes prior and Gamma posteriors, against hand computations and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analytics.allocation import posteriors
from analytics.allocation.posteriors import Evidence, Prior, estimate_prior, posterior

pytestmark = pytest.mark.unit


def evidence(conversions: list[float], exposure: list[float], channel: list[int]) -> Evidence:
    exp = np.array(exposure, dtype=float)
    return Evidence(
        np.array(conversions, dtype=float), exp, exp.copy(), np.array(channel, dtype=np.int64)
    )


def test_the_campaign_rate_pools_conversions_over_spend() -> None:
    prior = estimate_prior(evidence([10, 30, 0], [500, 1000, 0], [0, 0, 1]))
    assert prior.campaign_rate == pytest.approx(40.5 / 1500)


def test_the_spread_is_the_method_of_moments_estimate_blended_with_the_default() -> None:
    conversions, exposure = [10.0, 40.0, 25.0], [1000.0, 1000.0, 1000.0]
    prior = estimate_prior(evidence(conversions, exposure, [0, 0, 0]))
    # By hand: m = 75/3000 = 0.025; Q = Σ E (r - m)² = 1000·(0.015² + 0.015² + 0) = 0.45;
    # Poisson part = Σ m (1 - E/ΣE) = 0.025 · 2 = 0.05; scale = m² (ΣE - ΣE²/ΣE) = 1.25;
    # cv² = (0.45 - 0.05) / 1.25 = 0.32; blended with 2 dof of the default 0.3: 0.31.
    assert prior.cv2 == pytest.approx((2 * 0.32 + 2 * posteriors.DEFAULT_CV2) / 4)


def test_identical_creatives_collapse_the_spread_to_its_floor() -> None:
    conversions = [100.0] * 12
    exposure = [4000.0] * 12
    prior = estimate_prior(evidence(conversions, exposure, [2] * 12))
    # 11 dof of "no spread at all" against 2 of the default: 2·0.3/13 ≈ 0.046.
    assert prior.cv2 == pytest.approx(2 * posteriors.DEFAULT_CV2 / 13)
    assert prior.shape == pytest.approx(1 / prior.cv2)


def test_channels_are_shrunk_toward_the_campaign_rate() -> None:
    ev = evidence([30, 34, 5, 6], [1000, 1000, 1000, 1000], [0, 0, 1, 1])
    prior = estimate_prior(ev)
    assert prior.campaign_rate is not None
    linkedin, instagram = prior.channel_rate[0], prior.channel_rate[1]
    assert 64.5 / 2000 > linkedin > prior.campaign_rate > instagram > 11.5 / 2000


def test_the_posterior_is_prior_plus_counts_and_its_summaries_match_scipy() -> None:
    prior = Prior(campaign_rate=0.02, cv2=0.25, channel_rate={0: 0.03})
    post = posterior(prior, evidence([12, 0], [400, 0], [0, 5]))
    # Channel 0 mean 0.03, shape 4 → rate 4/0.03; channel 5 has no data: campaign mean.
    assert post.shape.tolist() == [16.0, 4.0]
    assert post.rate == pytest.approx([4 / 0.03 + 400, 4 / 0.02])
    gamma = stats.gamma(16.0, scale=1 / (4 / 0.03 + 400))
    assert post.mean[0] == pytest.approx(gamma.mean())
    assert post.quantile(0.05)[0] == pytest.approx(gamma.ppf(0.05))
    mean, low, high = post.cost_per_conversion()
    inverse = stats.invgamma(16.0, scale=4 / 0.03 + 400)
    assert mean[0] == pytest.approx(inverse.mean())
    assert low[0] == pytest.approx(inverse.ppf(0.05))
    assert high[0] == pytest.approx(inverse.ppf(0.95))


def test_cost_per_conversion_has_no_mean_when_the_shape_is_at_most_one() -> None:
    post = posteriors.Posterior(shape=np.array([0.8]), rate=np.array([10.0]))
    mean, low, high = post.cost_per_conversion()
    assert np.isinf(mean[0]) and np.isfinite(low[0]) and np.isfinite(high[0])


def test_a_campaign_without_spend_has_no_rate_and_a_vague_prior() -> None:
    prior = estimate_prior(evidence([0, 0], [0, 0], [0, 1]))
    assert prior.campaign_rate is None
    assert prior.shape == posteriors.NO_DATA_SHAPE
