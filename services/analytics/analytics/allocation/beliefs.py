"""Stage 4: what the campaign believes about each creative's conversions per euro.

Each week's evidence is weighed by its age discount and by what its count is worth
against the campaign's week-to-week noise (:func:`posteriors.weekly_noise`, estimated on
complete weeks only: young weeks' matured shares are estimates). The weighted sums per
creative give the empirical-Bayes prior (from every creative, listed or not) and the
listed creatives' Gamma posteriors (:mod:`posteriors`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analytics.allocation import posteriors
from analytics.allocation.contract import AllocationPolicy
from analytics.allocation.exposure import FatigueDiscount
from analytics.allocation.history import History

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Beliefs:
    """The weighted evidence, the campaign's prior and each listed creative's posterior."""

    weight: FloatArray
    """Per row: how much the week's evidence counts (age discount x worth against noise)."""
    evidence: posteriors.Evidence
    """Per unit, listed and unlisted."""
    prior: posteriors.Prior
    posterior: posteriors.Posterior
    """Per listed creative."""

    @property
    def has_evidence(self) -> bool:
        """Whether the campaign has any exposure to learn from (else nothing is claimed)."""
        return self.prior.campaign_rate is not None


def form_beliefs(policy: AllocationPolicy, history: History, exposure: FatigueDiscount) -> Beliefs:
    """Weigh every week, sum per creative, and form the prior and the posteriors."""
    units = history.units
    at_today = exposure.at_today
    complete = history.age > policy.maturity_lag_weeks
    noise = posteriors.weekly_noise(
        history.unit[complete], at_today[complete], history.conversions[complete], units
    )
    worth = posteriors.noise_weights(history.unit, at_today, history.conversions, units, noise)
    weight = exposure.discount * worth
    evidence = posteriors.Evidence(
        conversions=_sum_by(history.unit, weight * history.conversions, units),
        exposure=_sum_by(history.unit, weight * at_today, units),
        exposure_sq=_sum_by(history.unit, weight**2 * at_today, units),
        channel=history.channel,
    )
    prior = posteriors.estimate_prior(evidence)
    listed = history.listed
    mine = posteriors.Evidence(
        evidence.conversions[:listed],
        evidence.exposure[:listed],
        evidence.exposure_sq[:listed],
        evidence.channel[:listed],
    )
    return Beliefs(
        weight=weight,
        evidence=evidence,
        prior=prior,
        posterior=posteriors.posterior(prior, mine),
    )


def _sum_by(unit: IntArray, values: FloatArray, units: int) -> FloatArray:
    summed: FloatArray = np.bincount(unit, values, minlength=units).astype(np.float64)
    return summed
