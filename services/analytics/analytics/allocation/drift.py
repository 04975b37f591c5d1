"""Stage 8: did a creative's latest week leave what its earlier weeks predicted?

Each listed creative with spend last week and in some earlier week is checked: its
posterior without the latest week (as that week was counted in it) predicts the week's
conversions by a negative binomial (:func:`fatigue.drift_tails`); a count outside the
central 95% is a drift — below it the creative may be tiring, above it tracking may
have changed.
"""

from __future__ import annotations

import numpy as np

from analytics.allocation import fatigue
from analytics.allocation.beliefs import Beliefs
from analytics.allocation.exposure import FatigueDiscount
from analytics.allocation.history import History


def latest_week_drifts(
    history: History, exposure: FatigueDiscount, beliefs: Beliefs
) -> dict[int, fatigue.Drift]:
    """The drifts by listed creative's position; none without evidence."""
    if not beliefs.has_evidence:
        return {}
    listed = history.listed
    spent = history.spend > 0
    latest = np.flatnonzero((history.age == 1) & (history.unit < listed) & spent)
    has_earlier = np.zeros(listed + 1, dtype=bool)
    has_earlier[history.unit[(history.age > 1) & spent & (history.unit < listed)]] = True
    latest = latest[has_earlier[history.unit[latest]]]
    unit = history.unit[latest]
    week_exposure = exposure.at_today[latest]
    observed = history.conversions[latest]
    counted = beliefs.weight[latest]
    shape = beliefs.posterior.shape[unit] - counted * observed
    rate = beliefs.posterior.rate[unit] - counted * week_exposure
    usable = (shape > 0) & (rate > 0) & (week_exposure > 0)
    unit, week_exposure, observed, shape, rate = (
        unit[usable],
        week_exposure[usable],
        observed[usable],
        shape[usable],
        rate[usable],
    )
    at_most, at_least = fatigue.drift_tails(shape, rate, week_exposure, observed)
    flagged = (at_most < fatigue.DRIFT_LEVEL) | (at_least < fatigue.DRIFT_LEVEL)
    return {
        int(unit[i]): fatigue.Drift(
            below=bool(at_most[i] < fatigue.DRIFT_LEVEL),
            above=bool(at_least[i] < fatigue.DRIFT_LEVEL),
            expected=float(shape[i] / rate[i] * week_exposure[i]),
            observed=float(observed[i]),
        )
        for i in np.flatnonzero(flagged)
    }
