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
from typing import Literal

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
    fatigue_shape: str = "onset"
    """"onset": exponential decline after the onset; "none"; "linear": a steady decline
    from the first week (at most to a fifth); "cliff": one drop of ``fatigue_rate`` at the
    onset."""
    attributes: tuple[tuple[str, object], ...] = ()

    def live(self, week: int) -> bool:
        return self.start <= week <= self.end

    def rate(self, week: int) -> float:
        """Expected conversions per euro in ``week`` (eventually, late ones included)."""
        age = week - self.start
        if self.fatigue_shape == "none":
            tired = 1.0
        elif self.fatigue_shape == "linear":
            tired = max(0.2, 1.0 - self.fatigue_rate * age)
        elif self.fatigue_shape == "cliff":
            tired = 1.0 - self.fatigue_rate if age >= self.fatigue_onset else 1.0
        else:
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


# --- World families and employers -------------------------------------------------------
#
# The campaigns above are one world. The allocator must also hold up where delays,
# fatigue, the spread of creatives, their number and the budget differ, so a *family*
# fixes ranges for each of those, and an *employer* fixes what its campaigns share: the
# channels it uses, its level on each and what its formats, hooks and employee-made
# creatives do. Creatives come in families (one hook or asset on several channels) that
# share part of their quality.

FatigueShape = Literal["onset", "none", "linear", "cliff"]
FORMATS = ("video", "image", "carousel")
HOOKS = ("salary", "team", "mission", "growth")


@dataclass(frozen=True)
class WorldFamily:
    """Ranges a family's campaigns are drawn from."""

    name: str
    same_week: tuple[float, float]
    """Share of a week's conversions arriving in that week."""
    two_weeks: tuple[float, float]
    """Share arriving two weeks later."""
    fatigue: FatigueShape
    fatigue_rate: tuple[float, float]
    creative_spread: float
    """Log-sd of creatives' conversion rates around their channel and attributes."""
    creatives: tuple[int, int]
    budget: tuple[float, float]
    description: str


WORLD_FAMILIES: dict[str, WorldFamily] = {
    family.name: family
    for family in (
        WorldFamily(
            "home",
            (0.45, 0.85),
            (0.0, 0.12),
            "onset",
            (0.0, 0.15),
            0.35,
            (3, 12),
            (500, 5000),
            "the team's own world: 2-week delays, fatigue after an onset",
        ),
        WorldFamily(
            "no-fatigue-wide",
            (0.45, 0.85),
            (0.0, 0.12),
            "none",
            (0.0, 0.0),
            0.6,
            (3, 12),
            (500, 5000),
            "no fatigue, creatives spread widely",
        ),
        WorldFamily(
            "linear-many",
            (0.6, 0.95),
            (0.0, 0.05),
            "linear",
            (0.0, 0.06),
            0.35,
            (8, 20),
            (2000, 15000),
            "steady wear from day one, many creatives, larger budgets",
        ),
        WorldFamily(
            "narrow-fast",
            (0.75, 0.95),
            (0.0, 0.03),
            "onset",
            (0.0, 0.04),
            0.2,
            (2, 6),
            (300, 2000),
            "fast conversions, barely any fatigue, close creatives, small budgets",
        ),
        WorldFamily(
            "slow-onset",
            (0.2, 0.5),
            (0.1, 0.3),
            "onset",
            (0.0, 0.2),
            0.4,
            (3, 10),
            (500, 5000),
            "slow conversions, fatigue after an onset",
        ),
        WorldFamily(
            "cliff-wide-fast",
            (0.6, 0.9),
            (0.0, 0.1),
            "cliff",
            (0.2, 0.5),
            0.6,
            (4, 12),
            (1000, 8000),
            "fast conversions, sudden fatigue cliffs, wide spread",
        ),
        WorldFamily(
            "slow-cliff",
            (0.15, 0.45),
            (0.15, 0.35),
            "cliff",
            (0.2, 0.6),
            0.45,
            (3, 10),
            (500, 5000),
            "slow conversions (most arrive later), sudden fatigue cliffs",
        ),
        WorldFamily(
            "narrow-small",
            (0.7, 1.0),
            (0.0, 0.05),
            "none",
            (0.0, 0.0),
            0.15,
            (2, 5),
            (200, 1500),
            "near-instant conversions, no fatigue, close creatives, small budgets",
        ),
        WorldFamily(
            "wide-linear-slow",
            (0.25, 0.6),
            (0.1, 0.25),
            "linear",
            (0.02, 0.08),
            0.7,
            (4, 14),
            (800, 8000),
            "slow conversions, steady wear, very wide spread",
        ),
    )
}
TUNING_FAMILIES = (
    "home",
    "no-fatigue-wide",
    "linear-many",
    "narrow-fast",
    "slow-onset",
    "cliff-wide-fast",
)
HELD_OUT_FAMILIES = ("slow-cliff", "narrow-small", "wide-linear-slow")


@dataclass(frozen=True)
class Employer:
    """What an employer's campaigns share."""

    seed: int
    channels: tuple[Channel, ...]
    levels: dict[Channel, tuple[float, float, float]]
    format_effect: dict[str, float]
    hook_effect: dict[str, float]
    employee_effect: float


def generate_employer(seed: int) -> Employer:
    rng = np.random.default_rng([seed, 7])
    count = int(rng.integers(2, 5))
    channels: tuple[Channel, ...] = tuple(rng.choice(CHANNELS, size=count, replace=False))
    return Employer(
        seed=seed,
        channels=channels,
        levels={name: _channel_levels(rng, CHANNEL_PROFILES[name]) for name in channels},
        format_effect={f: float(rng.normal(0, 0.2)) for f in FORMATS},
        hook_effect={h: float(rng.normal(0, 0.2)) for h in HOOKS},
        employee_effect=float(rng.normal(0, 0.2)),
    )


def generate_family_campaign(
    family: WorldFamily,
    employer: Employer,
    seed: int,
    weeks: int = 12,
    *,
    identical: bool = False,
) -> Campaign:
    """A campaign of ``employer`` in ``family``; ``identical`` makes every creative alike."""
    rng = np.random.default_rng([seed, employer.seed, 11])
    budget = float(
        round(math.exp(rng.uniform(math.log(family.budget[0]), math.log(family.budget[1]))) / 10)
        * 10
    )
    count = int(rng.integers(family.creatives[0], family.creatives[1] + 1))
    used = int(rng.integers(1, min(3, len(employer.channels)) + 1))
    channels: list[Channel] = list(rng.choice(employer.channels, size=used, replace=False))
    if identical:
        channels = channels[:1]
    # A campaign's level (how hard the job recruits) and a little per channel on top of
    # the employer's: campaigns share channel effects, they do not copy them.
    level = float(rng.normal(0.0, 0.3))
    levels = {
        name: (
            employer.levels[name][0] * math.exp(rng.normal(0.0, 0.1)),
            employer.levels[name][1] * math.exp(level + rng.normal(0.0, 0.15)),
            employer.levels[name][2],
        )
        for name in channels
    }
    concepts = max(1, count // 2)
    concept_hook = [HOOKS[int(rng.integers(len(HOOKS)))] for _ in range(concepts)]
    concept_quality = rng.normal(0.0, family.creative_spread * 0.6, concepts)
    residual_sd = family.creative_spread * 0.8
    same_week = float(rng.uniform(*family.same_week))
    two_weeks = min(float(rng.uniform(*family.two_weeks)), 1.0 - same_week)
    lag = (same_week, 1.0 - same_week - two_weeks, two_weeks)
    creatives: list[Creative] = []
    onset, fade = int(rng.integers(2, 7)), float(rng.uniform(*family.fatigue_rate))
    for number in range(count):
        channel = (
            channels[number % len(channels)]
            if number < len(channels)
            else channels[int(rng.integers(len(channels)))]
        )
        concept = number % concepts
        fmt = FORMATS[int(rng.integers(len(FORMATS)))]
        employee_made = bool(rng.random() < 0.3)
        cpc, conversion, cpm = levels[channel]
        start, end = 1, weeks
        if not identical:
            cpc *= math.exp(rng.normal(0, CREATIVE_CPC_SPREAD / 2))
            conversion *= math.exp(
                concept_quality[concept]
                + rng.normal(0.0, residual_sd)
                + employer.format_effect[fmt]
                + employer.hook_effect[concept_hook[concept]]
                + (employer.employee_effect if employee_made else 0.0)
            )
            onset, fade = int(rng.integers(2, 7)), float(rng.uniform(*family.fatigue_rate))
            if number >= 2 and rng.random() < 0.3:
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
                fatigue_shape=family.fatigue,
                attributes=(
                    ("creative_format", fmt),
                    ("hook", concept_hook[concept]),
                    ("employee_generated", employee_made),
                    ("family", f"concept-{concept + 1}"),
                ),
            )
        )
    return Campaign(
        seed=seed, weeks=weeks, budget=budget, creatives=tuple(creatives), lag_shares=lag
    )
