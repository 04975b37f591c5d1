"""The half-life of old evidence, learned from how well it predicted the next weeks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analytics.allocation import AllocationRequest, allocate
from analytics.allocation.forgetting import HALF_LIVES, learn_forgetting

pytestmark = pytest.mark.unit


def _campaign(
    seed: int, rate_at: object, creatives: int = 6, weeks: int = 10
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows of ``creatives`` creatives over ``weeks`` weeks; ``rate_at(unit, week)``."""
    rng = np.random.default_rng(seed)
    unit, age, exposure, conversions = [], [], [], []
    for u in range(creatives):
        for week in range(weeks):
            spend = 1500.0
            unit.append(u)
            age.append(weeks - week)
            exposure.append(spend)
            conversions.append(float(rng.poisson(rate_at(u, week) * spend)))  # type: ignore[operator]
    return np.array(unit), np.array(age), np.array(exposure), np.array(conversions)


def _learn(rows: tuple[np.ndarray, ...]) -> float:
    unit, age, exposure, conversions = rows
    return learn_forgetting(
        unit, age, exposure, conversions, int(unit.max()) + 1, noise=0.0
    ).half_life


def test_without_fatigue_old_weeks_keep_their_weight() -> None:
    levels = [0.02, 0.03, 0.04, 0.025, 0.035, 0.05]
    half_life = _learn(_campaign(1, lambda u, w: levels[u]))
    assert half_life > 10.0


def test_creatives_that_fall_off_a_cliff_make_old_weeks_fade_fast() -> None:
    levels = [0.02, 0.03, 0.04, 0.025, 0.035, 0.05]
    # Each creative loses 60% of its rate at a different week: older weeks mislead.
    half_life = _learn(
        _campaign(
            2, lambda u, w: levels[u] * (0.4 if w >= 3 + u % 4 else 1.0) * (1.3 if w % 2 else 1)
        )
    )
    assert half_life < 5.0


def test_without_history_every_half_life_is_equally_likely() -> None:
    learned = learn_forgetting(
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.int64),
        np.zeros(0),
        np.zeros(0),
        1,
        noise=0.0,
    )
    assert learned.half_lives == HALF_LIVES
    assert learned.weights == pytest.approx([1 / len(HALF_LIVES)] * len(HALF_LIVES))


def test_the_explanation_names_the_learned_half_life_and_the_policy_can_fix_it() -> None:
    history = [
        {
            "variant_id": variant_id,
            "week": f"2026-W{week}",
            "spend": 500.0,
            "impressions": 20000,
            "clicks": 800,
            "conversions": float(conversions),
        }
        for week in range(40, 48)
        for variant_id, conversions in (("a", 20), ("b", 30))
    ]
    body = {
        "campaign_id": "c-1",
        "week": "2026-W48",
        "budget": 1000.0,
        "variants": [
            {"variant_id": "a", "channel": "instagram", "created_week": "2026-W40"},
            {"variant_id": "b", "channel": "instagram", "created_week": "2026-W40"},
        ],
        "history": history,
    }
    learned = allocate(AllocationRequest.model_validate(body))
    assert any("this campaign's own weeks" in line for line in learned.explanation)
    fixed = allocate(
        AllocationRequest.model_validate({**body, "policy": {"learn_half_life": False}})
    )
    assert "Evidence counts half after 5 weeks, because creatives tire." in fixed.explanation
    assert not math.isclose(learned.p_best["b"], fixed.p_best["b"], rel_tol=1e-9) or (
        learned.p_best["b"] > 0.999
    )
