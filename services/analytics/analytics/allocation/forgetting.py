"""How fast old evidence should fade, learned from how well it predicted the next week.

A fixed half-life is a bet on one world: where creatives do not tire it throws away
evidence a small campaign cannot spare, and where they tire suddenly it keeps evidence
that no longer describes the creative. So the half-life is chosen by the campaign's own
data, as Bayesian model averaging over a grid of candidates (:data:`HALF_LIVES`, "never"
included, so "no fatigue" is learnable): each candidate's discounted posterior from a
creative's earlier weeks predicts each later week's count (a negative binomial: the
Gamma posterior mixed over Poisson counts, widened by the campaign's weekly noise), and
the candidates are weighed by how well they predicted, every week of every creative
together, from an even prior: with little history the weights stay nearly even (a
mixture that fades old weeks moderately); with more, the data decide. (A prior favouring
the policy's half-life of 5 weeks did slightly worse on the tuning families.)

The result is a discount per age: the weighted mixture of the candidates' discounts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

HALF_LIVES = (1.5, 3.0, 5.0, 8.0, 13.0, np.inf)
"""Candidate half-lives in weeks; inf keeps every week at full weight."""
SCORE_PRIOR_SHAPE = 2.0
"""Shape of the vague Gamma prior (around the campaign's pooled rate) each creative's
predictions start from: the same for every candidate, so it favours none."""
MAX_WEEKS = 104
"""Weeks before the planned week that take part in the scoring (older rows are rare)."""


@dataclass(frozen=True)
class LearnedForgetting:
    """The weights of the candidate half-lives and the discount they give per age."""

    half_lives: tuple[float, ...]
    weights: tuple[float, ...]

    def discount(self, ages: FloatArray) -> FloatArray:
        """The weight of evidence ``ages`` weeks before the planned week (last week is 1)."""
        mixed = np.zeros_like(ages, dtype=float)
        for half_life, weight in zip(self.half_lives, self.weights, strict=True):
            mixed += weight * (0.5 ** ((ages - 1.0) / half_life))
        return mixed

    @property
    def half_life(self) -> float:
        """Weeks after which the mixed discount falls to one half (inf if it never does)."""
        ages = np.arange(1.0, 2.0 + 4 * max(h for h in self.half_lives if np.isfinite(h)), 0.25)
        below = np.flatnonzero(self.discount(ages) <= 0.5)
        return float(ages[below[0]] - 1.0) if below.size else float("inf")


def learn_forgetting(
    unit: IntArray,
    age: IntArray,
    exposure: FloatArray,
    conversions: FloatArray,
    units: int,
    *,
    noise: float,
) -> LearnedForgetting:
    """Weights of :data:`HALF_LIVES` from one-week-ahead predictions of every creative."""
    half_lives = HALF_LIVES
    prior = np.full(len(half_lives), 1.0 / len(half_lives))
    used = (exposure > 0) & (age <= MAX_WEEKS)
    if not used.any():
        return LearnedForgetting(half_lives, tuple(float(p) for p in prior))
    unit, age, exposure, conversions = unit[used], age[used], exposure[used], conversions[used]
    span = int(age.max())
    # Dense creative x week tables: column k is the week ``span - k`` weeks before planned.
    column = span - age
    y = np.zeros((units, span))
    x = np.zeros((units, span))
    np.add.at(y, (unit, column), conversions)
    np.add.at(x, (unit, column), exposure)
    pooled = (float(conversions.sum()) + 0.5) / float(exposure.sum())
    shape0, rate0 = SCORE_PRIOR_SHAPE, SCORE_PRIOR_SHAPE / pooled
    scores = np.zeros(len(half_lives))
    for k, half_life in enumerate(half_lives):
        keep = 0.5 ** (1.0 / half_life)
        seen_y = np.zeros(units)
        seen_x = np.zeros(units)
        total = 0.0
        for week in range(span):
            if week:
                seen_y = keep * seen_y + y[:, week - 1]
                seen_x = keep * seen_x + x[:, week - 1]
            scored = (x[:, week] > 0) & (seen_x > 0)
            if not scored.any():
                continue
            a = shape0 + seen_y[scored]
            mean = a / (rate0 + seen_x[scored]) * x[scored, week]
            size = 1.0 / (1.0 / a + noise)
            count = y[scored, week]
            total += float(
                (
                    special.gammaln(count + size)
                    - special.gammaln(size)
                    + size * np.log(size / (size + mean))
                    + count * np.log(mean / (size + mean))
                ).sum()
            )
        scores[k] = total
    log_posterior = np.log(prior) + scores
    weights = np.exp(log_posterior - log_posterior.max())
    weights /= weights.sum()
    return LearnedForgetting(half_lives, tuple(float(w) for w in weights))
