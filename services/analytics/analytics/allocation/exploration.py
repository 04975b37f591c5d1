"""How much to spend learning: a knowledge-gradient split of the week's budget.

Putting money on the creative with the highest expected conversions per euro earns most
this week; money on another creative earns less now but can reveal that it is better,
which pays for every week after. For each other creative and each candidate trial
amount ``e`` (a share of the budget), the value of the trial is weighed against its
cost (Ryzhov, Powell & Frazier 2012, the knowledge gradient for online learning):

* cost: ``e x (μ_leader - μ_i)``, the conversions given up this week;
* value: ``lookahead x budget x E[max(μ_i' - μ_leader, 0)]``, the expected gain of
  moving the budget to creative i for the weeks ahead if what ``e`` shows makes it the
  better one. With a Gamma(a, b) posterior the posterior mean after exposure ``x`` has
  standard deviation ``s = sd x sqrt(x / (b + x))``; in the normal approximation the
  expected gain is ``s f(-Δ/s)`` with ``f(z) = z Φ(z) + φ(z)``.

Each creative gets the trial with the largest value net of cost (none when no trial
pays), the trials together at most :data:`MAX_TRIAL_SHARE` of the budget, and the
leader the rest. Unlike shares ∝ P(best)^power this funds a plausible contender with
enough money to settle the question — a creative at a 20% chance of being best beside
a leader at 50% got about 1% under power 5 and stayed unresolved for weeks — and stops
funding it once the question is settled or no longer worth settling.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import special

FloatArray = NDArray[np.float64]

TRIAL_SHARES = np.array([0.0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5])
"""Candidate trial amounts, as shares of the budget. Coarse on purpose: the value of a
trial is not concave in its size (a small trial cannot change the decision), so the
best of a few sizes, not a local optimum, is wanted."""
MAX_TRIAL_SHARE = 0.5
"""The trials together take at most this share; the likely best keeps the rest."""

_SQRT_2PI = float(np.sqrt(2.0 * np.pi))


def knowledge_gradient_targets(
    shape: FloatArray,
    rate: FloatArray,
    budget: float,
    *,
    lookahead_weeks: float,
    matured_share: float = 1.0,
) -> FloatArray:
    """Target shares (summing to one) for Gamma(shape, rate) posteriors per euro.

    ``matured_share`` is the part of next week's conversions that will have arrived by
    the following decision: a trial informs only that much exposure in time.
    Without a difference between the posterior means (no evidence yet) the split is even.
    """
    shape = np.asarray(shape, dtype=np.float64)
    rate = np.asarray(rate, dtype=np.float64)
    count = shape.size
    mean = shape / rate
    if count < 2 or budget <= 0 or float(np.ptp(mean)) <= 1e-12 * float(mean.max()):
        return np.full(count, 1.0 / max(count, 1))
    leader = int(np.argmax(mean))
    gap = mean[leader] - mean
    sd = np.sqrt(shape) / rate
    exposure = TRIAL_SHARES[None, :] * budget * matured_share
    revealed = sd[:, None] * np.sqrt(exposure / (rate[:, None] + exposure))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(revealed > 0, -gap[:, None] / revealed, -np.inf)
        normal_cdf = special.ndtr(z)
        normal_pdf = np.exp(-0.5 * z**2) / _SQRT_2PI
        gain = np.where(revealed > 0, revealed * (z * normal_cdf + normal_pdf), 0.0)
    net = lookahead_weeks * budget * gain - exposure / matured_share * gap[:, None]
    trial = TRIAL_SHARES[np.argmax(net, axis=1)]
    trial[leader] = 0.0
    total = float(trial.sum())
    if total > MAX_TRIAL_SHARE:
        trial *= MAX_TRIAL_SHARE / total
    trial[leader] = 1.0 - float(trial.sum())
    result: FloatArray = trial
    return result
