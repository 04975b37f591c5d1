"""When to declare a winner: a high chance of being best and little value left to find.

A winner is declared only when the leading creative's chance of being best reaches the
threshold (95% by default) and the value remaining is small: the expected relative gain
of the best creative over the leader, ``E[max_j θ_j] / E[θ_leader] - 1``, is below the
threshold (1% by default). The second condition keeps a lucky streak on thin data from
ending the test while a rival could still be much better.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Verdict:
    """The leader, whether it is declared the winner, and the value remaining."""

    leader: int
    winner: int | None
    value_remaining: float


def judge(
    p_best: FloatArray,
    posterior_mean: FloatArray,
    expected_max: float,
    *,
    winner_threshold: float,
    value_remaining_threshold: float,
    has_evidence: bool,
) -> Verdict:
    """The verdict for one comparison of creatives."""
    leader = int(np.argmax(p_best))
    mean = float(posterior_mean[leader])
    value_remaining = max(expected_max / mean - 1.0, 0.0) if mean > 0 else float("inf")
    decided = (
        has_evidence
        and p_best.size >= 2
        and float(p_best[leader]) >= winner_threshold
        and value_remaining <= value_remaining_threshold
    )
    return Verdict(
        leader=leader, winner=leader if decided else None, value_remaining=value_remaining
    )
