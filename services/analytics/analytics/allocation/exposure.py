"""Stages 2 and 3: how much of each week's spend counts as exposure today.

A week's spend counts only for the share of its conversions that has arrived yet
(:func:`mature_exposure`, with :mod:`maturity`), and at the rate a tiring creative is
likely to convert at this week; older weeks also weigh less (:func:`discount_fatigue`,
with :mod:`fatigue`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analytics.allocation import fatigue, maturity, posteriors
from analytics.allocation.contract import AllocationPolicy, AllocationRequest
from analytics.allocation.forgetting import LearnedForgetting, learn_forgetting
from analytics.allocation.history import History
from analytics.allocation.memory import AllocationMemory

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class MaturedExposure:
    """The lag curve of late conversions and each row's matured share of its spend."""

    curve: maturity.MaturityCurve
    share: FloatArray
    """Per row: the share of the week's conversions that has arrived."""

    @property
    def next_week_share(self) -> float:
        """The share of next week's conversions in by the following decision."""
        return float(self.curve.share_at(np.ones(1))[0])


@dataclass(frozen=True)
class FatigueDiscount:
    """Each row's exposure at today's rate, and its weight for the age of its evidence."""

    at_today: FloatArray
    """Per row: matured spend, scaled to the rate the creative is likely at this week."""
    discount: FloatArray
    """Per row: the weight of evidence of its age (half after the half-life)."""
    noise: float
    """The campaign's weekly noise (:func:`posteriors.weekly_noise`, complete weeks only)."""
    forgetting: LearnedForgetting | None = None
    """The half-life learned from the data, when the policy asks for it."""


def mature_exposure(
    request: AllocationRequest, history: History, memory: AllocationMemory | None
) -> MaturedExposure:
    """The lag curve (from memory, the cross-section or the prior) and matured shares.

    With a memory, this call's counts are remembered first: the memory is the caller's,
    and it is how the next call measures how these weeks grew.
    """
    curve = _maturity_curve(request, history, memory)
    return MaturedExposure(curve=curve, share=curve.share_at(history.age.astype(float)))


def discount_fatigue(
    policy: AllocationPolicy, history: History, matured: MaturedExposure
) -> FatigueDiscount:
    """Exposure at today's rate (the fatigue trend) and the age discount of each row.

    With ``learn_half_life`` the discount is learned from the campaign's own weeks
    (:mod:`forgetting`); otherwise it is the policy's ``fatigue_half_life_weeks``.
    """
    worn = fatigue.wear_ages(history.unit, history.week, history.first_week, history.planned)
    # The campaign's common weekly decline of conversions per euro (0 without the trend).
    decay = (
        fatigue.estimate_decay(
            history.unit, worn, history.spend * matured.share, history.conversions
        )
        if policy.fatigue_trend
        else 0.0
    )
    at_today = history.spend * matured.share * np.exp(decay * worn)
    # Young weeks' matured shares are estimates: the noise is measured on complete weeks.
    complete = history.age > policy.maturity_lag_weeks
    noise = posteriors.weekly_noise(
        history.unit[complete], at_today[complete], history.conversions[complete], history.units
    )
    ages = history.age.astype(float)
    half_life = policy.fatigue_half_life_weeks
    if half_life is None or not policy.learn_half_life:
        discount = fatigue.discount_weights(ages, half_life)
        return FatigueDiscount(at_today=at_today, discount=discount, noise=noise)
    forgetting = learn_forgetting(
        history.unit,
        history.age,
        at_today,
        history.conversions,
        history.units,
        noise=noise,
    )
    return FatigueDiscount(
        at_today=at_today, discount=forgetting.discount(ages), noise=noise, forgetting=forgetting
    )


def _maturity_curve(
    request: AllocationRequest, history: History, memory: AllocationMemory | None
) -> maturity.MaturityCurve:
    policy = request.policy
    if policy.maturity_lag_weeks == 0:
        return maturity.MaturityCurve((), "none")
    if memory is not None:
        memory.observe(
            request.campaign_id,
            history.planned,
            (
                (history.unit_ids[u], int(w), float(c))
                for u, w, c in zip(history.unit, history.week, history.conversions, strict=True)
            ),
        )
        growth = memory.growth(request.campaign_id, policy.maturity_lag_weeks)
        if float(growth.complete.sum()) > 0:
            return maturity.from_growth(
                growth, policy.maturity_prior, policy.maturity_prior_strength
            )
    return maturity.from_cross_section(
        history.unit,
        history.age,
        history.spend,
        history.conversions,
        policy.maturity_prior,
        policy.maturity_prior_strength,
    )
