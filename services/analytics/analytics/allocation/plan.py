"""Stage 7: the targets shaped into euro amounts within the campaign's guardrails.

The shaping itself is :func:`guardrails.shape_budget`; this stage gathers what it needs
from the request: last week's amounts, the channel caps, and which creatives the
max-change guardrail protects — those out of the ad platform's learning phase
(``learning_exit_conversions`` last week) that are still plausible contenders (chance of
being best ≥ :data:`RULED_OUT_P_BEST`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analytics.allocation.contract import CHANNELS, AllocationRequest
from analytics.allocation.guardrails import Shaped, shape_budget
from analytics.allocation.history import CHANNEL_CODE, History
from analytics.allocation.pbest import Comparison
from analytics.allocation.targets import Targets

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

RULED_OUT_P_BEST = 0.02
"""Below this chance of being best the evidence has ruled a creative out: its steady
delivery is no longer worth protecting, and it may be cut beyond ``max_change`` at once
rather than by a fifth a week while a better creative waits."""


@dataclass(frozen=True)
class Plan:
    """Last week's amounts and the split shaped within the guardrails."""

    previous: FloatArray
    """Per listed creative: last week's amount, NaN where there was none."""
    shaped: Shaped


def guard_targets(
    request: AllocationRequest, history: History, comparison: Comparison, targets: Targets
) -> Plan:
    """The guardrails applied to ``targets.weights`` (see :mod:`guardrails`)."""
    policy = request.policy
    listed = history.listed
    previous = _previous_amounts(request, listed)
    shaped = shape_budget(
        targets.weights,
        request.budget,
        history.channel[:listed],
        previous,
        exploration_share=policy.exploration_share,
        min_spend=policy.min_spend,
        max_change=policy.max_change,
        channel_caps={CHANNEL_CODE[name]: share for name, share in policy.channel_caps.items()},
        channel_names=dict(enumerate(CHANNELS)),
        protected=_protected(request, history, comparison),
    )
    return Plan(previous=previous, shaped=shaped)


def _previous_amounts(request: AllocationRequest, listed: int) -> FloatArray:
    position = {variant.variant_id: i for i, variant in enumerate(request.variants)}
    previous = np.full(listed, np.nan)
    for variant_id, amount in (request.previous_allocation or {}).items():
        if variant_id in position:
            previous[position[variant_id]] = amount
    return previous


def _protected(
    request: AllocationRequest, history: History, comparison: Comparison
) -> BoolArray | None:
    """Per listed creative: whether max_change holds it; None holds every running one.

    Out of learning and still a plausible contender: only such a creative's steady
    delivery is worth a slower cut (see guardrails, rule 4).
    """
    exit_conversions = request.policy.learning_exit_conversions
    if exit_conversions is None:
        return None
    listed = history.listed
    last_week = (history.age == 1) & (history.unit < listed)
    recent = np.bincount(history.unit[last_week], history.conversions[last_week], minlength=listed)
    protected: BoolArray = (recent[:listed] >= exit_conversions) & (
        comparison.p_best >= RULED_OUT_P_BEST
    )
    return protected
