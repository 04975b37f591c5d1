"""Stage 6: where the statistics alone would put the money, before any guardrail.

``allocation_rule`` chooses how: ``knowledge_gradient`` funds the likely best creative
plus the trials worth their cost (:mod:`exploration`); ``probability_power`` sets shares
∝ P(best) ** power.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analytics.allocation import exploration
from analytics.allocation.beliefs import Beliefs
from analytics.allocation.contract import AllocationRequest
from analytics.allocation.exposure import MaturedExposure
from analytics.allocation.pbest import Comparison

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Targets:
    """Per listed creative: the rule's weight and what it comes to in euros."""

    weights: FloatArray
    """Non-negative; shares once divided by their sum."""
    amounts: FloatArray
    """The budget in proportion to ``weights`` (all 0 when every weight is 0)."""


def set_targets(
    request: AllocationRequest,
    beliefs: Beliefs,
    comparison: Comparison,
    matured: MaturedExposure,
) -> Targets:
    """The allocation rule's targets for the listed creatives."""
    policy = request.policy
    if policy.allocation_rule == "knowledge_gradient":
        weights = exploration.knowledge_gradient_targets(
            beliefs.posterior.shape,
            beliefs.posterior.rate,
            request.budget,
            lookahead_weeks=policy.lookahead_weeks,
            matured_share=matured.next_week_share,
        )
    else:
        weights = comparison.p_best**policy.allocation_power
    total = weights.sum()
    amounts = weights / total * request.budget if total > 0 else np.zeros(weights.size)
    return Targets(weights=weights, amounts=amounts)
