"""Classical per-creative checks beside the Bayesian ones: exact and Wilson intervals.

Pure functions of counts. Cost per conversion gets an exact (Garwood) Poisson interval on
the number of conversions bought with the spend; the conversion rate per click gets a
Wilson score interval. Both at 90%, the level the allocation engine reports its own
intervals at, so a marketer can put the two side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy import stats
from statsmodels.stats.proportion import proportion_confint

LEVEL = 0.90


@dataclass(frozen=True)
class Interval:
    estimate: float | None
    low: float | None
    high: float | None
    """None when unbounded (no conversion yet: the cost could be any amount)."""


@dataclass(frozen=True)
class VariantCheck:
    variant_id: str
    spend: float
    clicks: int
    conversions: int
    cost_per_conversion: Interval
    conversion_rate_per_click: Interval | None
    """None when there are no clicks, or more conversions than clicks (organic visits)."""


def poisson_exact_interval(count: int, level: float = LEVEL) -> tuple[float, float]:
    """Garwood's exact interval on a Poisson mean from one observed count."""
    if count < 0:
        raise ValueError("a count cannot be negative")
    tail = (1 - level) / 2
    low = 0.0 if count == 0 else float(stats.chi2.ppf(tail, 2 * count)) / 2
    high = float(stats.chi2.ppf(1 - tail, 2 * count + 2)) / 2
    return low, high


def cost_per_conversion(spend: float, conversions: int, level: float = LEVEL) -> Interval:
    """Spend per conversion with the exact interval of the conversions it bought."""
    if spend <= 0:
        return Interval(None, None, None)
    low_count, high_count = poisson_exact_interval(conversions, level)
    return Interval(
        estimate=spend / conversions if conversions else None,
        low=spend / high_count,
        high=spend / low_count if low_count > 0 else None,
    )


def conversion_rate(conversions: int, clicks: int, level: float = LEVEL) -> Interval | None:
    """Conversions per click with the Wilson score interval."""
    if clicks <= 0 or conversions > clicks:
        return None
    low, high = proportion_confint(conversions, clicks, alpha=1 - level, method="wilson")
    return Interval(conversions / clicks, float(low), float(high))


def check_variant(variant_id: str, spend: float, clicks: int, conversions: int) -> VariantCheck:
    return VariantCheck(
        variant_id=variant_id,
        spend=spend,
        clicks=clicks,
        conversions=conversions,
        cost_per_conversion=cost_per_conversion(spend, conversions),
        conversion_rate_per_click=conversion_rate(conversions, clicks),
    )
