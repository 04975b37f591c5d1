"""Stage 4: what the campaign believes about each creative's conversions per euro.

Each week's evidence is weighed by its age discount and by what its count is worth
against the campaign's week-to-week noise (:func:`posteriors.weekly_noise`, estimated on
complete weeks only: young weeks' matured shares are estimates). The weighted sums per
creative give the empirical-Bayes prior (from every creative, listed or not) and the
listed creatives' Gamma posteriors (:mod:`posteriors`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analytics.allocation import posteriors, priors
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
    informed: priors.InformedPrior | None = None
    """The prior learned from the employer's earlier campaigns, when the request has any."""

    @property
    def has_evidence(self) -> bool:
        """Whether the campaign has any exposure to learn from (else nothing is claimed)."""
        return self.prior.campaign_rate is not None


def form_beliefs(
    policy: AllocationPolicy,
    history: History,
    exposure: FatigueDiscount,
    learned: priors.LearnedPrior | None = None,
    attributes: Sequence[Mapping[str, Any] | None] = (),
) -> Beliefs:
    """Weigh every week, sum per creative, and form the prior and the posteriors.

    ``learned`` is what the employer's earlier campaigns showed (:mod:`priors`);
    ``attributes`` the listed creatives' attributes, for families and learned effects.
    Without either, each creative's prior is its channel's in this campaign alone.
    """
    units = history.units
    at_today = exposure.at_today
    worth = posteriors.noise_weights(
        history.unit, at_today, history.conversions, units, exposure.noise
    )
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
    described = any(attributes)
    pairs, families = priors.units_attributes(attributes, history.units) if described else ([], [])
    has_family = any(family is not None for family in families)
    if learned is None and not has_family:
        return Beliefs(
            weight=weight,
            evidence=evidence,
            prior=prior,
            posterior=posteriors.posterior(prior, mine),
        )
    informed = None
    if learned is not None:
        informed = priors.inform(learned, prior, evidence, pairs or [()] * history.units)
        mean, shape = informed.mean, informed.shape
    else:
        mean = prior.mean_for(evidence.channel)
        shape = np.full(history.units, prior.shape)
    if has_family:
        mean = mean * np.exp(priors.family_effects(families, mean, evidence))
    return Beliefs(
        weight=weight,
        evidence=evidence,
        prior=prior,
        posterior=posteriors.Posterior(
            shape=shape[:listed] + mine.conversions,
            rate=shape[:listed] / mean[:listed] + mine.exposure,
        ),
        informed=informed,
    )


def _sum_by(unit: IntArray, values: FloatArray, units: int) -> FloatArray:
    summed: FloatArray = np.bincount(unit, values, minlength=units).astype(np.float64)
    return summed
