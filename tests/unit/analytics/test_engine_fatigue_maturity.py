"""Fatigue trend and drift flags; the matured share of late conversions."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.allocation import fatigue, maturity
from analytics.allocation.memory import AllocationMemory

pytestmark = pytest.mark.unit


def test_discount_weights_halve_every_half_life() -> None:
    weights = fatigue.discount_weights(np.array([1.0, 4.0, 7.0]), 3.0)
    assert weights.tolist() == pytest.approx([1.0, 0.5, 0.25])
    assert fatigue.discount_weights(np.array([1.0, 9.0]), None).tolist() == [1.0, 1.0]


def test_the_common_decay_is_recovered_from_creatives_that_tire() -> None:
    rng = np.random.default_rng(5)
    units, ages, exposure, conversions = [], [], [], []
    true_decay = 0.12  # conversions per euro fall ~11% a week
    for unit in range(8):
        level = rng.uniform(0.02, 0.06)
        for age in range(1, 11):
            spend = 2000.0
            rate = level * np.exp(true_decay * (age - 1))  # older weeks converted better
            units.append(unit)
            ages.append(float(age))
            exposure.append(spend)
            conversions.append(float(rng.poisson(rate * spend)))
    decay = fatigue.estimate_decay(
        np.array(units), np.array(ages), np.array(exposure), np.array(conversions)
    )
    assert decay == pytest.approx(true_decay, abs=0.02)


def test_wear_counts_only_weeks_after_a_creatives_onset() -> None:
    # Unit 0 started in week 1, unit 1 in week 8; planned week 10, onset 2 weeks.
    unit = np.array([0, 0, 0, 0, 1, 1])
    week = np.array([1, 3, 5, 9, 8, 9])
    worn = fatigue.wear_ages(unit, week, np.array([1, 8]), 10)
    onset = fatigue.WEAR_ONSET_WEEKS
    assert onset == 2
    # Unit 0 wears from week 3: weeks 1 and 3 are equally fresh, 7 weeks of wear since.
    assert worn.tolist() == [7.0, 7.0, 5.0, 1.0, 0.0, 0.0]


def test_a_young_creatives_weeks_are_not_marked_down_by_the_trend() -> None:
    # A creative live for two weeks has not started to tire: its rate stays flat, so the
    # trend estimated from wear ages must not mistake those weeks for decline.
    rng = np.random.default_rng(11)
    units: list[int] = []
    weeks: list[int] = []
    exposure: list[float] = []
    conversions: list[float] = []
    true_decay = 0.1
    for unit in range(8):
        level = rng.uniform(0.02, 0.06)
        for week in range(1, 11):
            worn_then = max(week - 1 - fatigue.WEAR_ONSET_WEEKS, 0)
            units.append(unit)
            weeks.append(week)
            exposure.append(3000.0)
            conversions.append(float(rng.poisson(level * np.exp(-true_decay * worn_then) * 3000)))
    unit_of = np.array(units)
    worn = fatigue.wear_ages(unit_of, np.array(weeks), np.ones(8, dtype=np.int64), 11)
    decay = fatigue.estimate_decay(unit_of, worn, np.array(exposure), np.array(conversions))
    assert decay == pytest.approx(true_decay, abs=0.02)
    ages = 11.0 - np.array(weeks, dtype=float)
    diluted = fatigue.estimate_decay(unit_of, ages, np.array(exposure), np.array(conversions))
    assert diluted < decay - 0.01


def test_no_within_creative_variation_means_no_decay() -> None:
    decay = fatigue.estimate_decay(
        np.array([0, 1]), np.array([1.0, 2.0]), np.array([100.0, 100.0]), np.array([5.0, 5.0])
    )
    assert decay == 0.0


def test_a_week_far_below_its_prediction_is_flagged_and_a_typical_one_is_not() -> None:
    # Earlier weeks: 200 conversions over €4,000 (5 per €100).
    low = fatigue.check_drift(200.0, 4000.0, 1000.0, observed=20.0)
    typical = fatigue.check_drift(200.0, 4000.0, 1000.0, observed=48.0)
    high = fatigue.check_drift(200.0, 4000.0, 1000.0, observed=90.0)
    assert low.below and not low.above
    assert not typical.below and not typical.above
    assert high.above and not high.below
    assert typical.expected == pytest.approx(50.0)


def test_the_matured_share_is_one_after_the_lag() -> None:
    curve = maturity.MaturityCurve((0.6, 0.9), "prior")
    assert curve.share_at(np.array([1.0, 2.0, 3.0, 10.0])).tolist() == [0.6, 0.9, 1.0, 1.0]


def test_memory_measures_how_weeks_grow_between_calls() -> None:
    memory = AllocationMemory()
    # Week 100's conversions seen at ages 1, 2 and 3 (complete): 60, 90, 100.
    memory.observe("c", 101, [("a", 100, 60.0)])
    memory.observe("c", 102, [("a", 100, 90.0), ("a", 101, 30.0)])
    memory.observe("c", 103, [("a", 100, 100.0), ("a", 101, 45.0), ("a", 102, 12.0)])
    growth = memory.growth("c", lag=2)
    assert growth.at_age.tolist() == [60.0, 90.0]
    assert growth.complete.tolist() == [100.0, 100.0]
    curve = maturity.from_growth(growth, [0.5, 0.8], strength=0.0)
    assert curve.shares == pytest.approx((0.6, 0.9))
    assert curve.source == "memory"
    assert memory.growth("another campaign", lag=2).complete.sum() == 0


def test_the_cross_section_compares_recent_weeks_with_complete_ones() -> None:
    # One creative converting 5% of spend once complete; last week shows half of that.
    variant = np.array([0, 0, 0, 0])
    ages = np.array([4, 3, 2, 1])
    spend = np.array([1000.0, 1000.0, 1000.0, 1000.0])
    conversions = np.array([50.0, 50.0, 40.0, 25.0])
    curve = maturity.from_cross_section(variant, ages, spend, conversions, [0.7, 0.9], strength=0.0)
    assert curve.shares == pytest.approx((0.5, 0.8))
    shrunk = maturity.from_cross_section(variant, ages, spend, conversions, [0.7, 0.9], 50.0)
    assert shrunk.shares == pytest.approx(((25 + 35) / 100, (40 + 45) / 100))


def test_a_campaign_without_complete_weeks_keeps_the_prior() -> None:
    curve = maturity.from_cross_section(
        np.array([0]), np.array([1]), np.array([100.0]), np.array([1.0]), [0.7, 0.9], 30.0
    )
    assert curve.shares == (0.7, 0.9) and curve.source == "prior"
