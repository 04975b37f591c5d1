"""Creative fatigue: old weeks count less, and a creative that leaves its prediction is flagged.

Creatives tire as their audience has seen them; a campaign's best creative in week 2 is
often not its best in week 9. Two corrections follow:

* a trend: the campaign's common weekly decay δ of conversions per euro is estimated
  from how each creative's rate changed over its own weeks (a conditional Poisson
  likelihood, in which each creative's level cancels out, with a N(0, 0.1²) prior on δ);
  a week with ``a`` weeks of wear before the planned week then counts as ``exp(δ a)``
  times its exposure at today's rate, so a creative whose evidence is old is judged at
  what it is likely to do now. Wear starts after a creative's first
  :data:`WEAR_ONSET_WEEKS` live weeks (:func:`wear_ages`): an audience has to see a
  creative a while before it tires of it, and counting those fresh weeks as decline both
  dilutes the trend and marks down new creatives' first weeks;
* discounting: evidence is down-weighted exponentially with its age (a week
  ``half_life`` weeks older counts half), for the part of fatigue no common trend
  explains, which keeps the posteriors wide enough to notice a change.

Separately, the latest week of each creative is checked against the
posterior predictive distribution built from its earlier weeks (a negative binomial:
Gamma posterior mixed over Poisson counts); a count outside the central 95% is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

FloatArray = NDArray[np.float64]

IntArray = NDArray[np.int64]

DECAY_PRIOR_SD = 0.1
DECAY_BOUNDS = (-0.3, 0.6)
WEAR_ONSET_WEEKS = 2
"""Live weeks before a creative starts to tire (the conservative end of a few weeks)."""
DRIFT_LEVEL = 0.025
"""Each tail of the predictive interval outside which a week counts as drift."""


def discount_weights(ages: FloatArray, half_life: float | None) -> FloatArray:
    """Weight of evidence ``ages`` weeks before the planned week (the last week is age 1)."""
    if half_life is None:
        return np.ones_like(ages, dtype=float)
    weights: FloatArray = 0.5 ** ((ages - 1.0) / half_life)
    return weights


def wear_ages(unit: IntArray, week: IntArray, first_week: IntArray, planned: int) -> FloatArray:
    """Weeks of wear between each row's week and the planned week.

    A creative wears from :data:`WEAR_ONSET_WEEKS` weeks after its ``first_week`` (per
    unit) on; a row inside those weeks is as fresh as the onset week.
    """
    onset = first_week.astype(float) + WEAR_ONSET_WEEKS
    today = np.maximum(planned - onset, 0.0)
    then = np.maximum(week - onset[unit], 0.0)
    worn: FloatArray = today[unit] - then
    return worn


def estimate_decay(
    unit: IntArray, ages: FloatArray, exposure: FloatArray, conversions: FloatArray
) -> float:
    """The common weekly decay δ (log scale; 0.1 ≈ 10% fewer conversions per euro a week).

    Only creatives with at least two weeks of exposure inform it; without any, 0.
    """
    usable = exposure > 0
    unit, ages, exposure, conversions = (
        unit[usable],
        ages[usable],
        exposure[usable],
        conversions[usable],
    )
    if unit.size == 0:
        return 0.0
    counts = np.bincount(unit)
    informative = counts[unit] >= 2
    if not informative.any():
        return 0.0
    unit, ages, exposure, conversions = (
        unit[informative],
        ages[informative],
        exposure[informative],
        conversions[informative],
    )
    totals = np.bincount(unit, conversions)
    present = totals > 0
    weighted_age = float((conversions * ages).sum())
    log_exposure = np.log(exposure)
    shift = ages.max()

    def negative_log_likelihood(decay: float) -> float:
        scaled = np.bincount(unit, np.exp(log_exposure + decay * (ages - shift)))
        fit = decay * weighted_age - float(
            (totals[present] * (np.log(scaled[present]) + decay * shift)).sum()
        )
        return -fit + 0.5 * (decay / DECAY_PRIOR_SD) ** 2

    result = optimize.minimize_scalar(
        negative_log_likelihood, bounds=DECAY_BOUNDS, method="bounded", options={"xatol": 1e-4}
    )
    return float(result.x)


def drift_tails(
    earlier_shape: FloatArray, earlier_rate: FloatArray, exposure: FloatArray, observed: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """P(X ≤ observed) and P(X ≥ observed) under each negative binomial predictive."""
    success = earlier_rate / (earlier_rate + exposure)
    count = np.floor(observed)
    # Negative binomial CDF: P(X ≤ k) = I_p(shape, k + 1), the regularised incomplete beta.
    at_most = special.betainc(earlier_shape, count + 1.0, success)
    below_count = special.betainc(earlier_shape, np.maximum(count, 1.0), success)
    at_least = np.where(count <= 0, 1.0, 1.0 - below_count)
    return at_most, at_least


@dataclass(frozen=True)
class Drift:
    """Where the latest week's conversions fell in their predictive distribution."""

    below: bool
    above: bool
    expected: float
    observed: float


def check_drift(
    earlier_shape: float, earlier_rate: float, exposure: float, observed: float
) -> Drift:
    """Compare the latest week's conversions with what the earlier weeks predicted.

    ``earlier_shape``/``earlier_rate`` is the Gamma posterior without the latest week and
    ``exposure`` that week's matured spend.
    """
    at_most, at_least = drift_tails(
        np.array([earlier_shape]),
        np.array([earlier_rate]),
        np.array([exposure]),
        np.array([observed]),
    )
    return Drift(
        below=bool(at_most[0] < DRIFT_LEVEL),
        above=bool(at_least[0] < DRIFT_LEVEL),
        expected=earlier_shape / earlier_rate * exposure,
        observed=observed,
    )
