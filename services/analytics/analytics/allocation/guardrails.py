"""Guardrails: turn target shares into euro amounts a marketer can apply.

The statistics say where money would do most good; the guardrails keep the plan safe to
run. When they cannot all hold, the earlier ones in this list win and the later ones are
relaxed only as far as needed (and a warning says so):

1. amounts are never negative, only listed creatives are funded, and they sum to the
   budget (to the cent);
2. channel caps (a channel's share of the budget); if the caps of the channels present
   add up to less than the whole budget they are scaled up together;
3. the floor: every listed creative gets at least ``min_spend`` and its even part of the
   exploration share; floors are scaled down to fit a channel cap or the budget;
4. the maximum week-on-week cut of a running creative (at most ``max_change`` below last
   week's amount, last week's amounts first rescaled to this week's budget so a bigger
   budget or a paused creative's money can be spread); ``protected`` limits it to the
   creatives whose steady delivery is worth keeping (the engine passes those out of the
   ad platform's learning phase that are still plausible contenders); when it conflicts
   with the above, the smallest larger change that fits is used.

   Only cuts are limited, not increases. A creative out of learning already earns the
   ~50 optimisation events a week the platform needs; given more money it earns them
   sooner, so if a raise restarts learning the creative leaves it again within days, on
   the creative the evidence favours — scaling a proven creative up is what delivery
   systems are built for. A deep cut is different: it can drop a creative below the
   events it needs and leave it in "learning limited", with unstable, costlier delivery
   for as long as it runs, and cuts are where chasing one noisy week does harm. Holding
   raises as well would keep the likely best creative at +20% a week for months in a
   campaign whose creatives all left learning in week 1 — the simulator measured that as
   the largest single loss of the engine;
5. closest to the target: the amounts minimise Σ (x - t)² / (t + η) — a projection that
   hands out leftover money roughly in proportion to the target, so the likely best
   creative, not every creative alike, absorbs what a bound frees up.

The projection is the usual water-filling: x_i = clip(t_i + λ (t_i + η), lower_i, upper_i)
with one multiplier λ for the budget (found by bisection: the total is monotone in λ) and,
for a channel over its cap, its own smaller multiplier. Amounts are then rounded to cents
by largest remainder so the total stays exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from koers.phrases import PhraseData, phrase

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_ITERATIONS = 200
_ETA = 1e-3
"""Share of an even split added to every target's weight (keeps zero targets movable)."""


@dataclass(frozen=True)
class Shaped:
    """The amounts and the bounds they were shaped within."""

    amounts: FloatArray
    floor: FloatArray
    band_low: FloatArray
    band_high: FloatArray
    capped_channels: frozenset[int]
    max_change: float | None
    warnings: list[PhraseData] = field(default_factory=list)


def shape_budget(
    targets: FloatArray,
    budget: float,
    channel: IntArray,
    previous: FloatArray,
    *,
    exploration_share: float,
    min_spend: float,
    max_change: float | None,
    channel_caps: dict[int, float],
    channel_names: dict[int, str] | None = None,
    protected: NDArray[np.bool_] | None = None,
) -> Shaped:
    """Euro amounts for ``targets`` (shares summing to one) within the guardrails.

    ``previous`` holds last week's amount per creative, NaN where there was none.
    """
    names = channel_names or {}
    count = targets.size
    warnings: list[PhraseData] = []
    zeros = np.zeros(count)
    if budget <= 0 or count == 0:
        return Shaped(zeros, zeros, zeros, np.full(count, np.inf), frozenset(), max_change)
    target = np.clip(np.nan_to_num(targets, nan=0.0), 0.0, None)
    target = target / target.sum() * budget if target.sum() > 0 else np.full(count, budget / count)
    caps = _caps(channel, budget, channel_caps, names, warnings)
    floor = _floors(channel, budget, caps, exploration_share, min_spend, names, warnings)
    band_low, band_high, used_change = _change_band(
        previous, budget, floor, caps, channel, max_change, warnings, protected
    )
    lower = np.maximum(floor, band_low)
    upper = np.maximum(floor, band_high)
    amounts, capped = _project(target, budget, lower, upper, channel, caps)
    cents = _round_to_cents(amounts, budget)
    return Shaped(cents, floor, band_low, band_high, capped, used_change, warnings)


def _caps(
    channel: IntArray,
    budget: float,
    channel_caps: dict[int, float],
    names: dict[int, str],
    warnings: list[PhraseData],
) -> dict[int, float]:
    present = [int(c) for c in np.unique(channel)]
    caps = {c: channel_caps[c] * budget for c in present if c in channel_caps}
    if len(caps) == len(present) and sum(caps.values()) < budget * (1 - 1e-12):
        scale = budget / sum(caps.values()) if sum(caps.values()) > 0 else np.inf
        if np.isfinite(scale):
            caps = {c: cap * scale for c, cap in caps.items()}
        else:
            caps = {c: budget / len(present) for c in caps}
        warnings.append(
            phrase(
                "the channel caps (%(channels)s) add up to less than the whole budget; they "
                "were raised in proportion so the budget can be spent.",
                channels=", ".join(names.get(c, str(c)) for c in sorted(caps)),
            )
        )
    return caps


def _floors(
    channel: IntArray,
    budget: float,
    caps: dict[int, float],
    exploration_share: float,
    min_spend: float,
    names: dict[int, str],
    warnings: list[PhraseData],
) -> FloatArray:
    count = channel.size
    floor = np.full(count, max(min_spend, exploration_share * budget / count))
    for code, cap in caps.items():
        members = channel == code
        total = floor[members].sum()
        if total > cap:
            floor[members] *= cap / total
            warnings.append(
                phrase(
                    "the %(channel)s cap leaves less than the minimum spend for each of its "
                    "creatives; their minimum was lowered to fit.",
                    channel=names.get(code, str(code)),
                )
            )
    if floor.sum() > budget:
        floor *= budget / floor.sum()
        warnings.append(
            phrase(
                "the budget is too small to give every creative its minimum spend; every "
                "creative gets an equal part instead."
            )
        )
    return floor


def _change_band(
    previous: FloatArray,
    budget: float,
    floor: FloatArray,
    caps: dict[int, float],
    channel: IntArray,
    max_change: float | None,
    warnings: list[PhraseData],
    protected: NDArray[np.bool_] | None,
) -> tuple[FloatArray, FloatArray, float | None]:
    count = previous.size
    unbounded = (np.zeros(count), np.full(count, np.inf))
    last = np.nan_to_num(previous, nan=0.0)
    reference = last * budget / last.sum() if last.sum() > 0 else last
    running = last > 0
    if protected is not None:
        running &= protected
    if max_change is None or not running.any():
        return (*unbounded, None)

    def band(change: float) -> tuple[FloatArray, FloatArray]:
        low = np.where(running, reference * max(1.0 - change, 0.0), 0.0)
        return low, np.full(count, np.inf)

    def feasible(change: float) -> bool:
        low, high = band(change)
        return _feasible(np.maximum(floor, low), np.maximum(floor, high), budget, channel, caps)

    if feasible(max_change):
        return (*band(max_change), max_change)
    low_change, high_change = max_change, max(1.0, max_change) * 2
    while not feasible(high_change) and high_change < 1e9:
        low_change, high_change = high_change, high_change * 2
    if not feasible(high_change):  # cannot happen: the band then spans [floor, huge]
        return (*unbounded, None)
    for _ in range(60):
        middle = (low_change + high_change) / 2
        low_change, high_change = (
            (low_change, middle) if feasible(middle) else (middle, high_change)
        )
    warnings.append(
        phrase(
            "keeping every creative within %(max_change_pct)s of last week was not possible "
            "with the caps and minimum spends; cuts of up to %(allowed_pct)s were allowed.",
            max_change_pct=max_change,
            allowed_pct=high_change,
        )
    )
    return (*band(high_change), high_change)


def _feasible(
    lower: FloatArray, upper: FloatArray, budget: float, channel: IntArray, caps: dict[int, float]
) -> bool:
    tolerance = 1e-9 * max(budget, 1.0)
    if lower.sum() > budget + tolerance:
        return False
    room = 0.0
    for code in np.unique(channel):
        members = channel == code
        cap = caps.get(int(code), np.inf)
        if lower[members].sum() > cap + tolerance:
            return False
        room += min(float(upper[members].sum()), cap)
    return room >= budget - tolerance


def _project(
    target: FloatArray,
    budget: float,
    lower: FloatArray,
    upper: FloatArray,
    channel: IntArray,
    caps: dict[int, float],
) -> tuple[FloatArray, frozenset[int]]:
    weight = target + _ETA * budget / target.size

    def amounts(multiplier: float) -> FloatArray:
        result: FloatArray = np.clip(target + multiplier * weight, lower, upper)
        return result

    capped_groups = [(code, channel == code, cap) for code, cap in caps.items()]
    free = ~np.isin(channel, list(caps))

    def total(multiplier: float) -> float:
        x = amounts(multiplier)
        spent = float(x[free].sum())
        for _code, members, cap in capped_groups:
            spent += min(float(x[members].sum()), cap)
        return spent

    low, high = -1.0, 1.0
    while total(high) < budget and high < 1e18:
        low, high = high, high * 2
    for _ in range(_ITERATIONS):
        middle = (low + high) / 2
        if total(middle) < budget:
            low = middle
        else:
            high = middle
        if high - low <= 1e-15 * max(1.0, abs(high)):
            break
    x = amounts(high)
    capped: set[int] = set()
    for code, members, cap in capped_groups:
        if x[members].sum() <= cap:
            continue
        capped.add(code)
        t, w, lo, hi = target[members], weight[members], lower[members], upper[members]
        inner_low, inner_high = -1.0, high
        for _ in range(_ITERATIONS):
            middle = (inner_low + inner_high) / 2
            if np.clip(t + middle * w, lo, hi).sum() < cap:
                inner_low = middle
            else:
                inner_high = middle
            if inner_high - inner_low <= 1e-15 * max(1.0, abs(inner_high)):
                break
        x[members] = np.clip(t + inner_low * w, lo, hi)
    return x, frozenset(capped)


def _round_to_cents(amounts: FloatArray, budget: float) -> FloatArray:
    """Whole cents summing exactly to the budget in cents (largest remainder)."""
    total_cents = round(budget * 100)
    raw = np.maximum(amounts, 0.0) * 100
    scale = total_cents / raw.sum() if raw.sum() > 0 else 0.0
    raw = raw * scale if raw.sum() > 0 else np.full(raw.size, total_cents / raw.size)
    cents = np.floor(raw).astype(np.int64)
    short = total_cents - int(cents.sum())
    if short > 0:
        order = np.argsort(-(raw - cents), kind="stable")
        whole, rest = divmod(short, raw.size)
        cents += whole
        cents[order[:rest]] += 1
    rounded: FloatArray = cents / 100.0
    return rounded
