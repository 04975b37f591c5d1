"""Late conversions: how much of a recent week's conversions have arrived yet.

A lead often comes a few days after the click, an application a week later. A week that
ended yesterday therefore shows only part of its conversions, and a creative launched
last week would look worse than it is. Each week's spend is counted only for its matured
share of conversions (effective exposure = spend x matured share), with the share per age
estimated from the data and shrunk toward a prior:

* with memory of earlier calls, from how the same weeks' conversions grew between calls
  (a week seen at age 1 and again once complete gives a direct ratio);
* without memory, from the ratio of recent weeks' conversions to what each creative's
  latest complete weeks would predict for that spend, pooled across the campaign.

Ages are counted in weeks before the planned week: last week has age 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

MIN_SHARE = 0.05


@dataclass(frozen=True)
class MaturityCurve:
    """Share of a week's conversions arrived at age 1, 2, … up to the lag; 1 after."""

    shares: tuple[float, ...]
    source: str
    """"prior", "memory" (growth between calls) or "cross-section" (recent vs complete)."""

    def share_at(self, ages: FloatArray) -> FloatArray:
        lag = len(self.shares)
        table = np.array([*self.shares, 1.0])
        index = np.clip(ages.astype(np.int64) - 1, 0, lag)
        result: FloatArray = table[index]
        return result


@dataclass(frozen=True)
class GrowthEvidence:
    """Per age: conversions seen at that age, and the same rows' conversions once complete."""

    at_age: FloatArray
    complete: FloatArray


def prior_curve(prior: list[float]) -> MaturityCurve:
    return MaturityCurve(tuple(prior), "prior")


def from_growth(evidence: GrowthEvidence, prior: list[float], strength: float) -> MaturityCurve:
    """Shares from weeks observed both young and complete in earlier calls."""
    return _shrink(evidence.at_age, evidence.complete, prior, strength, "memory")


def from_cross_section(
    variant: IntArray,
    ages: IntArray,
    spend: FloatArray,
    conversions: FloatArray,
    prior: list[float],
    strength: float,
) -> MaturityCurve:
    """Shares from recent weeks against each creative's latest complete weeks.

    For a creative with complete weeks, the rate of its two most recent complete weeks
    predicts what a younger week's spend would eventually bring; the ratio of what has
    arrived to that prediction, pooled over creatives, is the matured share at that age.
    Using only the latest complete weeks limits the bias from fatigue.
    """
    lag = len(prior)
    units = int(variant.max()) + 1 if variant.size else 0
    recent_complete = (ages > lag) & (ages <= lag + 2)
    mature_spend = np.bincount(variant[recent_complete], spend[recent_complete], minlength=units)
    mature_conversions = np.bincount(
        variant[recent_complete], conversions[recent_complete], minlength=units
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(mature_spend > 0, mature_conversions / mature_spend, np.nan)
    seen = np.zeros(lag)
    predicted = np.zeros(lag)
    for age in range(1, lag + 1):
        young = (ages == age) & np.isfinite(rate[variant])
        seen[age - 1] = conversions[young].sum()
        predicted[age - 1] = (rate[variant[young]] * spend[young]).sum()
    return _shrink(seen, predicted, prior, strength, "cross-section")


def _shrink(
    seen: FloatArray, complete: FloatArray, prior: list[float], strength: float, source: str
) -> MaturityCurve:
    if float(np.sum(complete)) <= 0:
        return prior_curve(prior)
    shares: list[float] = []
    for age, share in enumerate(prior):
        estimate = (seen[age] + strength * share) / (complete[age] + strength)
        shares.append(float(np.clip(estimate, MIN_SHARE, 1.0)))
    # Conversions only accumulate: a later age never shows a smaller share.
    monotone = np.maximum.accumulate(np.array(shares))
    return MaturityCurve(tuple(float(s) for s in monotone), source)
