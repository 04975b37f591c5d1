"""The chance that each creative is the best, computed by quadrature instead of sampling.

For independent Gamma posteriors of conversions per euro,

    P(i is best) = ∫ f_i(x) Π_{j≠i} F_j(x) dx = ∫_0^1 Π_{j≠i} F_j(Q_i(u)) du,

the second form substituting u = F_i(x). Every arm is integrated in its own probability
scale, so a sharp posterior (a creative with many conversions) is as well resolved as a
vague one, and no density is needed. All arms share one grid of points placed at the
quantiles of the arms that can still be best; ``Π_j F_j`` is evaluated once on it, which
keeps the work at (contenders x grid) and lets 10,000 creatives finish well under a second.
Arms whose 1 - 1e-10 quantile lies below what the best arm almost surely exceeds cannot
be best and are left out of the products (their factor is 1 to within 1e-10).

The same grid gives the expected maximum, ``E[max_j θ_j] = ∫ (1 - Π_j F_j(x)) dx``, which
the stopping rule needs for the value remaining.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

FloatArray = NDArray[np.float64]

TAIL = 1e-10
"""Probability mass treated as negligible at either end of a posterior."""

_NODE_Z_RANGE = 6.4
"""Per-arm grid positions run from z = -6.4 to 6.4 (probability ~1e-10 in each tail)."""

_GRID_SCALE = 4000.0
"""Grid points = 4000 / sqrt(contenders), within the bounds below: ~130 points for 1,000
contenders and 48 for 10,000 keep the work under 5e5 CDF evaluations (chances then agree
with a 4,000-point grid to about 1e-4 per creative); comparisons of a few creatives get
up to 1,600 points and agree with closed forms to about 1e-5."""
_MIN_GRID, _MAX_GRID = 48, 1600
_TINY = 1e-300


@dataclass(frozen=True)
class Comparison:
    """Each arm's chance of being best and the expected best value."""

    p_best: FloatArray
    expected_max: float


def compare(shape: FloatArray, rate: FloatArray) -> Comparison:
    """P(best) per arm and E[max] for independent Gamma(shape, rate) arms.

    ``shape`` and ``rate`` must be positive and finite. The probabilities sum to one.
    """
    shape = np.asarray(shape, dtype=np.float64)
    rate = np.asarray(rate, dtype=np.float64)
    arms = shape.size
    if arms == 0:
        return Comparison(np.zeros(0), 0.0)
    if arms == 1:
        return Comparison(np.ones(1), float(shape[0] / rate[0]))
    low_q = special.gammaincinv(shape, TAIL) / rate
    high_q = special.gammaincinv(shape, 1.0 - TAIL) / rate
    floor = float(low_q.max())  # the best arm exceeds this with probability ≥ 1 - TAIL
    contenders = np.flatnonzero(high_q > floor)
    p_best = np.zeros(arms)
    if contenders.size == 1:
        p_best[contenders[0]] = 1.0
        only = contenders[0]
        return Comparison(p_best, float(shape[only] / rate[only]))
    a, b = shape[contenders], rate[contenders]
    ceiling = float(high_q[contenders].max())
    grid = _grid(a, b, floor, ceiling)
    cdf = special.gammainc(a[:, None], b[:, None] * grid[None, :])  # arms x grid
    log_cdf = np.log(np.maximum(cdf, _TINY))
    log_all = log_cdf.sum(axis=0)
    others = np.exp(log_all[None, :] - log_cdf)  # Π_{j≠i} F_j on the grid
    steps = np.diff(cdf, axis=1)
    inner = (steps * (others[:, 1:] + others[:, :-1])).sum(axis=1) * 0.5
    below = cdf[:, 0] * others[:, 0] * 0.5
    above = (1.0 - cdf[:, -1]) * (others[:, -1] + 1.0) * 0.5
    chances = np.maximum(inner + below + above, 0.0)
    total = chances.sum()
    p_best[contenders] = chances / total if total > 0 else 1.0 / contenders.size
    none_above = np.exp(log_all)
    expected_max = floor + float(np.trapezoid(1.0 - none_above, grid))
    return Comparison(p_best, expected_max)


def probability_best(shape: FloatArray, rate: FloatArray) -> FloatArray:
    """P(arm i has the highest rate) for independent Gamma(shape, rate) arms."""
    return compare(shape, rate).p_best


def _grid(shape: FloatArray, rate: FloatArray, floor: float, ceiling: float) -> FloatArray:
    """Points near every contender's quantiles, thinned evenly by rank when too many."""
    contenders = shape.size
    size = int(np.clip(_GRID_SCALE / np.sqrt(contenders), _MIN_GRID, _MAX_GRID))
    nodes = int(np.clip(2 * size // contenders, 5, 401))
    z = np.linspace(-_NODE_Z_RANGE, _NODE_Z_RANGE, nodes)
    # Wilson-Hilferty quantiles: cheap, and only the placement of points depends on them.
    ninth = 1.0 / (9.0 * shape[:, None])
    cube = np.maximum(1.0 - ninth + z[None, :] * np.sqrt(ninth), 0.0)
    points = (shape / rate)[:, None] * cube**3
    flat = np.concatenate([points.ravel(), [floor, ceiling]])
    flat = np.unique(np.clip(flat[np.isfinite(flat)], floor, ceiling))
    if flat.size > size:
        keep = np.unique(np.linspace(0, flat.size - 1, size).round().astype(np.int64))
        flat = flat[keep]
    return flat
