"""Simulated recruitment campaigns: what is true, and what a caller would observe.

Figures are ballparks for Dutch recruitment advertising, per channel: cost per click and
the share of clicks that convert on a short landing page (lead or application). Each
campaign draws its own channel levels inside those ranges, and each creative varies
around its channel (hook and visual quality). On top of that:

* fatigue: after an onset of 2-6 weeks live, a creative loses 0-15% of its conversion
  rate per week;
* creatives added mid-flight (about a third start in week 3-9) and some paused early;
* late conversions: a week's conversions arrive 45-85% in the same week, the rest over
  the next two weeks;
* budgets of €500-€5,000 a week, 3-12 creatives, 12 weeks;
* week-to-week noise of about 10% on each creative's rate (auctions, seasonality), on
  top of Poisson counts.

Everything is drawn from the campaign seed, so a campaign is the same for every policy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analytics.allocation.contract import CHANNELS, Channel


@dataclass(frozen=True)
class ChannelProfile:
    """Ranges (EUR, shares) a campaign draws its channel's levels from."""

    cost_per_click: tuple[float, float]
    click_conversion: tuple[float, float]
    cost_per_mille: tuple[float, float]


CHANNEL_PROFILES: dict[Channel, ChannelProfile] = {
    "linkedin": ChannelProfile((2.5, 6.0), (0.06, 0.15), (20.0, 40.0)),
    "indeed": ChannelProfile((0.25, 1.5), (0.06, 0.15), (5.0, 15.0)),
    "facebook": ChannelProfile((0.3, 1.0), (0.03, 0.09), (4.0, 10.0)),
    "instagram": ChannelProfile((0.4, 1.2), (0.02, 0.07), (5.0, 12.0)),
    "tiktok": ChannelProfile((0.2, 0.8), (0.01, 0.04), (3.0, 9.0)),
    "snapchat": ChannelProfile((0.2, 0.7), (0.008, 0.03), (2.0, 6.0)),
}

CREATIVE_CPC_SPREAD = 0.2
CREATIVE_CONVERSION_SPREAD = 0.35
WEEKLY_NOISE = 0.1
FIRST_WEEK = "2026-W10"


@dataclass(frozen=True)
class Creative:
    """One creative's truth."""

    variant_id: str
    channel: Channel
    start: int
    """First live week (1-based)."""
    end: int
    """Last live week (inclusive)."""
    cost_per_click: float
    click_conversion: float
    cost_per_mille: float
    fatigue_onset: int
    fatigue_rate: float

    def live(self, week: int) -> bool:
        return self.start <= week <= self.end

    def rate(self, week: int) -> float:
        """Expected conversions per euro in ``week`` (eventually, late ones included)."""
        age = week - self.start
        tired = math.exp(-self.fatigue_rate * max(0, age - self.fatigue_onset))
        return self.click_conversion * tired / self.cost_per_click


@dataclass(frozen=True)
class Campaign:
    """A whole campaign's truth."""

    seed: int
    weeks: int
    budget: float
    creatives: tuple[Creative, ...]
    lag_shares: tuple[float, float, float]
    """Share of a week's conversions arriving in that week, one week and two weeks later."""

    def live(self, week: int) -> list[Creative]:
        return [c for c in self.creatives if c.live(week)]


def generate_campaign(seed: int, weeks: int = 12, identical: bool = False) -> Campaign:
    """A realistic campaign, or with ``identical`` one whose creatives are all the same."""
    rng = np.random.default_rng([seed, 1])
    budget = float(round(math.exp(rng.uniform(math.log(500), math.log(5000))) / 10) * 10)
    count = int(rng.integers(3, 13))
    channels: list[Channel] = list(
        rng.choice(CHANNELS, size=int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25])), replace=False)
    )
    if identical:
        channels = channels[:1]
    levels = {name: _channel_levels(rng, CHANNEL_PROFILES[name]) for name in channels}
    onset, fade = int(rng.integers(2, 7)), float(rng.uniform(0.0, 0.15))
    creatives: list[Creative] = []
    for number in range(count):
        channel = channels[int(rng.integers(len(channels)))]
        cpc, conversion, cpm = levels[channel]
        start, end = 1, weeks
        if not identical:
            cpc *= math.exp(rng.normal(0, CREATIVE_CPC_SPREAD))
            conversion *= math.exp(rng.normal(0, CREATIVE_CONVERSION_SPREAD))
            onset, fade = int(rng.integers(2, 7)), float(rng.uniform(0.0, 0.15))
            if number >= 2 and rng.random() < 0.35:
                start = int(rng.integers(3, 10))
            if number >= 1 and rng.random() < 0.1:
                end = max(start + 2, int(rng.integers(5, weeks + 1)))
        creatives.append(
            Creative(
                variant_id=f"v{number + 1}-{channel}",
                channel=channel,
                start=start,
                end=min(end, weeks),
                cost_per_click=cpc,
                click_conversion=min(conversion, 0.9),
                cost_per_mille=cpm,
                fatigue_onset=onset,
                fatigue_rate=fade,
            )
        )
    same_week = float(rng.uniform(0.45, 0.85))
    two_weeks = float(rng.uniform(0.0, 0.12))
    lag = (same_week, 1.0 - same_week - two_weeks, two_weeks)
    return Campaign(
        seed=seed, weeks=weeks, budget=budget, creatives=tuple(creatives), lag_shares=lag
    )


def _channel_levels(
    rng: np.random.Generator, profile: ChannelProfile
) -> tuple[float, float, float]:
    def draw(bounds: tuple[float, float]) -> float:
        return math.exp(rng.uniform(math.log(bounds[0]), math.log(bounds[1])))

    return (
        draw(profile.cost_per_click),
        draw(profile.click_conversion),
        draw(profile.cost_per_mille),
    )
