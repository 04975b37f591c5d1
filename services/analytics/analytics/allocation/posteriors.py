"""Conversions per euro: Gamma-Poisson posteriors with an empirical-Bayes prior.

Each creative's conversions in a week are Poisson with mean θ x exposure, where θ is its
conversions per euro and exposure is the (matured, discounted) spend. θ has a Gamma
prior centred on what the creative's channel showed in this campaign, with a spread
estimated from how much the campaign's creatives differ beyond Poisson noise:

* the campaign rate ``m`` pools every creative's conversions over their exposure;
* the relative spread ``cv²`` of creatives around their channel's rate comes from the
  method of moments (the DerSimonian-Laird estimator adapted to Poisson rates with
  exposure: observed dispersion minus what Poisson noise alone would give), blended with
  a default spread worth ``prior_dof`` degrees of freedom so a campaign with two
  creatives does not swing between "all identical" and "anything goes";
* each channel's rate is shrunk toward ``m`` by the same moment estimator one level up.

A new creative therefore starts from its family's showing, and when creatives are truly
alike the estimated spread collapses and their posteriors stay together — which is what
keeps the engine from declaring winners among equals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

DEFAULT_CV2 = 0.3
"""Relative variance of creatives around their channel (CV ≈ 55%) before data says more."""
PRIOR_DOF = 2.0
CV2_BOUNDS = (0.004, 4.0)
"""A spread of at least CV ≈ 6% (creatives are never exactly alike a priori) and at most
CV = 200% (a shape of 0.25 is as vague as a useful prior gets)."""
NO_DATA_SHAPE = 1.0


@dataclass(frozen=True)
class Evidence:
    """Per-unit (creative) discounted conversions and exposures.

    ``exposure_sq`` is Σ weight² x matured spend: the Poisson variance of the discounted
    conversion count is θ x exposure_sq, which the moment estimator needs.
    ``channel`` is a channel code per unit, -1 when the channel is unknown.
    """

    conversions: FloatArray
    exposure: FloatArray
    exposure_sq: FloatArray
    channel: IntArray


@dataclass(frozen=True)
class Prior:
    """The campaign's empirical-Bayes prior: a Gamma of common shape per channel mean."""

    campaign_rate: float | None
    """Pooled conversions per euro; None when the campaign has no exposure at all."""
    cv2: float
    channel_rate: dict[int, float]

    @property
    def shape(self) -> float:
        return 1.0 / self.cv2 if self.campaign_rate is not None else NO_DATA_SHAPE

    def mean_for(self, channel: IntArray) -> FloatArray:
        """The prior mean rate of creatives in each channel code."""
        base = self.campaign_rate if self.campaign_rate is not None else 1.0
        return np.array([self.channel_rate.get(int(c), base) for c in channel], dtype=float)


@dataclass(frozen=True)
class Posterior:
    """Gamma(shape, rate) per creative, over conversions per euro."""

    shape: FloatArray
    rate: FloatArray

    @property
    def mean(self) -> FloatArray:
        result: FloatArray = self.shape / self.rate
        return result

    def quantile(self, probability: float) -> FloatArray:
        result: FloatArray = special.gammaincinv(self.shape, probability) / self.rate
        return result

    def cost_per_conversion(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """E[1/θ] and the 90% interval of 1/θ (inf where undefined)."""
        with np.errstate(divide="ignore"):
            mean = np.where(
                self.shape > 1.0, self.rate / np.maximum(self.shape - 1.0, 1e-300), np.inf
            )
            low = 1.0 / self.quantile(0.95)
            high = 1.0 / self.quantile(0.05)
        return mean, low, high


WEEKLY_NOISE_PRIOR = 0.02
"""Relative variance of a creative's rate from week to week beyond Poisson noise
(auctions, seasons: a weekly CV of about 14%) before the campaign's data says more."""
WEEKLY_NOISE_DOF = 4.0
WEEKLY_NOISE_BOUNDS = (0.0, 1.0)


def weekly_noise(
    unit: IntArray, exposure: FloatArray, conversions: FloatArray, units: int
) -> float:
    """The relative variance ``c`` of a creative's weekly rate around its average.

    A week's count then varies as λ + c λ² (λ its expected conversions): Poisson noise
    plus a multiplicative weekly shock. Estimated by the method of moments from creatives
    with two or more weeks — Σ[(y - λ̂)² - y (1 - h)] / Σ λ̂² (1 - h), h the week's share of
    its creative's exposure, which removes the bias of fitting λ̂ — and blended with
    :data:`WEEKLY_NOISE_PRIOR` worth :data:`WEEKLY_NOISE_DOF` weeks.

    Why not a quasi-Poisson factor: it widens every count by one factor, so the shock
    measured on creatives with hundreds of conversions a week also blurred creatives with
    five — new creatives and the calibration of the chance of being best suffered most.
    """
    used = exposure > 0
    unit, exposure, conversions = unit[used], exposure[used], conversions[used]
    weeks = np.bincount(unit, minlength=units)
    repeated = weeks[unit] >= 2
    unit, exposure, conversions = unit[repeated], exposure[repeated], conversions[repeated]
    dof = float(unit.size - np.unique(unit).size)
    low, high = WEEKLY_NOISE_BOUNDS
    if dof <= 0:
        return WEEKLY_NOISE_PRIOR
    total_exposure = np.bincount(unit, exposure, minlength=units)
    total_conversions = np.bincount(unit, conversions, minlength=units)
    expected = total_conversions[unit] / total_exposure[unit] * exposure
    leverage = exposure / total_exposure[unit]
    excess = float(((conversions - expected) ** 2 - conversions * (1 - leverage)).sum())
    scale = float((expected**2 * (1 - leverage)).sum())
    estimate = max(excess / scale, 0.0) if scale > 0 else WEEKLY_NOISE_PRIOR
    blended = (dof * estimate + WEEKLY_NOISE_DOF * WEEKLY_NOISE_PRIOR) / (dof + WEEKLY_NOISE_DOF)
    return float(np.clip(blended, low, high))


def noise_weights(
    unit: IntArray, exposure: FloatArray, conversions: FloatArray, units: int, noise: float
) -> FloatArray:
    """Each week's weight 1 / (1 + c λ): what its count is worth against a weekly shock.

    A week expecting λ conversions carries the information of λ / (1 + c λ) Poisson
    conversions about its creative's rate, so no single week can pin a rate down tighter
    than the weekly shock allows, while weeks with few conversions keep nearly full weight.
    λ uses the creative's own rate, shrunk half a conversion toward the campaign's.
    """
    total_exposure = np.bincount(unit, exposure, minlength=units)
    total_conversions = np.bincount(unit, conversions, minlength=units)
    exposed = float(total_exposure.sum())
    if exposed <= 0 or noise <= 0:
        return np.ones(unit.size)
    pooled = (float(total_conversions.sum()) + 0.5) / exposed
    rate = (total_conversions + 0.5) / (total_exposure + 0.5 / pooled)
    weights: FloatArray = 1.0 / (1.0 + noise * rate[unit] * exposure)
    return weights


def estimate_prior(
    evidence: Evidence,
    *,
    default_cv2: float = DEFAULT_CV2,
    prior_dof: float = PRIOR_DOF,
) -> Prior:
    """The campaign's prior from every creative's evidence (listed or not)."""
    exposure = evidence.exposure
    has_data = exposure > 0
    total_exposure = float(exposure[has_data].sum())
    if total_exposure <= 0:
        return Prior(campaign_rate=None, cv2=default_cv2, channel_rate={})
    total_conversions = float(evidence.conversions[has_data].sum())
    # Half a conversion keeps a campaign that has not converted yet away from a zero rate.
    campaign_rate = (total_conversions + 0.5) / total_exposure
    cv2 = _within_channel_cv2(evidence, default_cv2, prior_dof)
    channel_rate = _channel_rates(evidence, campaign_rate, cv2, default_cv2)
    return Prior(campaign_rate=campaign_rate, cv2=cv2, channel_rate=channel_rate)


def posterior(prior: Prior, evidence: Evidence) -> Posterior:
    """Each unit's Gamma posterior: prior shape + conversions, prior rate + exposure."""
    shape = prior.shape
    mean = prior.mean_for(evidence.channel)
    return Posterior(
        shape=shape + evidence.conversions,
        rate=shape / mean + evidence.exposure,
    )


def _within_channel_cv2(evidence: Evidence, default_cv2: float, prior_dof: float) -> float:
    """Relative between-creative variance around channel rates, by the method of moments."""
    excess = 0.0  # observed weighted dispersion minus its Poisson-noise expectation
    scale = 0.0
    dof = 0.0
    for code in np.unique(evidence.channel):
        if code < 0:
            continue
        members = (evidence.channel == code) & (evidence.exposure > 0)
        if members.sum() < 2:
            continue
        exposure = evidence.exposure[members]
        conversions = evidence.conversions[members]
        total = exposure.sum()
        rate = conversions.sum() / total
        if rate <= 0:
            continue
        observed = (exposure * (conversions / exposure - rate) ** 2).sum()
        noise = (rate * evidence.exposure_sq[members] / exposure * (1 - exposure / total)).sum()
        excess += observed - noise
        scale += rate**2 * (total - (exposure**2).sum() / total)
        dof += float(members.sum() - 1)
    low, high = CV2_BOUNDS
    if dof == 0 or scale <= 0:
        return float(np.clip(default_cv2, low, high))
    estimate = max(excess / scale, 0.0)
    blended = (dof * estimate + prior_dof * default_cv2) / (dof + prior_dof)
    return float(np.clip(blended, low, high))


def _channel_rates(
    evidence: Evidence, campaign_rate: float, cv2: float, default_cv2: float
) -> dict[int, float]:
    """Channel rates shrunk toward the campaign rate (moment estimate of their spread)."""
    codes = [int(c) for c in np.unique(evidence.channel) if c >= 0]
    rates: list[float] = []
    noises: list[float] = []
    for code in codes:
        members = (evidence.channel == code) & (evidence.exposure > 0)
        exposure = evidence.exposure[members]
        total = float(exposure.sum())
        if total <= 0:
            rates.append(campaign_rate)
            noises.append(np.inf)
            continue
        rates.append((float(evidence.conversions[members].sum()) + 0.5) / total)
        poisson = campaign_rate * float(evidence.exposure_sq[members].sum()) / total**2
        creatives = cv2 * campaign_rate**2 * float((exposure**2).sum()) / total**2
        noises.append(poisson + creatives)
    observed = np.array(rates)
    noise = np.array(noises)
    usable = np.isfinite(noise) & (noise > 0)
    if usable.sum() >= 2:
        weight = 1.0 / noise[usable]
        centre = float((weight * observed[usable]).sum() / weight.sum())
        q = float((weight * (observed[usable] - centre) ** 2).sum())
        denominator = float(weight.sum() - (weight**2).sum() / weight.sum())
        tau2 = max((q - (usable.sum() - 1)) / denominator, 0.0) if denominator > 0 else 0.0
        # A floor of a twentieth of the default spread: channels are never assumed equal.
        tau2 = max(tau2, 0.05 * default_cv2 * campaign_rate**2)
    else:
        tau2 = default_cv2 * campaign_rate**2
    result: dict[int, float] = {}
    for code, rate, var in zip(codes, observed, noise, strict=True):
        if not np.isfinite(var):
            result[code] = campaign_rate
            continue
        weight = tau2 / (tau2 + var)
        result[code] = weight * float(rate) + (1 - weight) * campaign_rate
    return result
