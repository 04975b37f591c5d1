"""Guardrails: properties that must hold for any targets, budgets and previous amounts.

Feasibility of the max-change band is decided independently of the module, with a
linear program (scipy's linprog), so "honoured when feasible" is not checked against the
code's own notion of feasible.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from analytics.allocation.guardrails import shape_budget

pytestmark = pytest.mark.unit

CENT = 0.01 + 1e-9


@st.composite
def cases(draw: st.DrawFn) -> dict[str, object]:
    count = draw(st.integers(1, 25))
    budget = draw(st.one_of(st.just(0.0), st.floats(0.01, 1e6)))
    targets = draw(st.lists(st.floats(0, 1), min_size=count, max_size=count))
    channel = draw(st.lists(st.integers(0, 5), min_size=count, max_size=count))
    previous = draw(
        st.lists(
            st.one_of(st.just(float("nan")), st.just(0.0), st.floats(0.01, 1e6)),
            min_size=count,
            max_size=count,
        )
    )
    caps = draw(st.dictionaries(st.integers(0, 5), st.floats(0.05, 1.0), max_size=6))
    protected = draw(st.one_of(st.none(), st.lists(st.booleans(), min_size=count, max_size=count)))
    return {
        "targets": np.array(targets),
        "budget": budget,
        "channel": np.array(channel, dtype=np.int64),
        "previous": np.array(previous),
        "exploration_share": draw(st.floats(0, 0.5)),
        "min_spend": draw(st.one_of(st.just(0.0), st.floats(0, 2 * budget / count + 1))),
        "max_change": draw(st.one_of(st.none(), st.floats(0, 1.5))),
        "channel_caps": caps,
        "protected": None if protected is None else np.array(protected),
    }


def run(case: dict[str, object]):  # type: ignore[no-untyped-def]
    return shape_budget(
        case["targets"],  # type: ignore[arg-type]
        case["budget"],  # type: ignore[arg-type]
        case["channel"],  # type: ignore[arg-type]
        case["previous"],  # type: ignore[arg-type]
        exploration_share=case["exploration_share"],  # type: ignore[arg-type]
        min_spend=case["min_spend"],  # type: ignore[arg-type]
        max_change=case["max_change"],  # type: ignore[arg-type]
        channel_caps=case["channel_caps"],  # type: ignore[arg-type]
        protected=case["protected"],  # type: ignore[arg-type]
    )


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(cases())
def test_amounts_are_non_negative_whole_cents_summing_to_the_budget(
    case: dict[str, object],
) -> None:
    shaped = run(case)
    amounts = shaped.amounts
    assert amounts.shape == case["targets"].shape  # type: ignore[attr-defined]
    assert (amounts >= 0).all()
    assert np.allclose(np.round(amounts * 100), amounts * 100)
    assert abs(amounts.sum() - case["budget"]) <= 0.005 + 1e-6  # type: ignore[operator]


@FAST
@given(cases())
def test_channel_caps_hold_whenever_the_caps_can_cover_the_budget(case: dict[str, object]) -> None:
    shaped = run(case)
    channel: np.ndarray = case["channel"]  # type: ignore[assignment]
    caps: dict[int, float] = case["channel_caps"]  # type: ignore[assignment]
    present = set(channel.tolist())
    if present <= set(caps) and sum(caps[c] for c in present) < 1:
        return  # documented: caps that cannot hold the budget are raised in proportion
    for code, share in caps.items():
        members = channel == code
        assert shaped.amounts[members].sum() <= share * case["budget"] + CENT * members.sum()  # type: ignore[operator]


@FAST
@given(cases())
def test_every_creative_gets_its_floor_when_floors_fit(case: dict[str, object]) -> None:
    shaped = run(case)
    count = len(case["targets"])  # type: ignore[arg-type]
    budget: float = case["budget"]  # type: ignore[assignment]
    floor = max(case["min_spend"], case["exploration_share"] * budget / count)  # type: ignore[operator]
    channel: np.ndarray = case["channel"]  # type: ignore[assignment]
    caps: dict[int, float] = case["channel_caps"]  # type: ignore[assignment]
    fits = floor * count <= budget and all(
        floor * (channel == code).sum() <= share * budget for code, share in caps.items()
    )
    present = set(channel.tolist())
    caps_hold = not (present <= set(caps) and sum(caps[c] for c in present) < 1)
    if fits and caps_hold and budget > 0:
        assert (shaped.amounts >= floor - CENT).all()


def _band_feasible(case: dict[str, object], floor: float) -> bool:
    """Is there any split within floors, caps and the requested band? (linear program)"""
    budget: float = case["budget"]  # type: ignore[assignment]
    previous = np.nan_to_num(case["previous"], nan=0.0)  # type: ignore[call-overload]
    change: float = case["max_change"]  # type: ignore[assignment]
    protected = case["protected"]
    running = previous > 0
    if protected is not None:
        running &= protected  # type: ignore[operator]
    reference = previous * budget / previous.sum() if previous.sum() > 0 else previous
    low = np.where(running, np.maximum(floor, reference * max(1 - change, 0)), floor)
    high = [None] * previous.size  # only cuts are limited
    channel: np.ndarray = case["channel"]  # type: ignore[assignment]
    caps: dict[int, float] = case["channel_caps"]  # type: ignore[assignment]
    rows = [(channel == code).astype(float) for code in caps]
    result = linprog(
        np.zeros(channel.size),
        A_ub=np.array(rows) if rows else None,
        b_ub=np.array([caps[c] * budget for c in caps]) if rows else None,
        A_eq=np.ones((1, channel.size)),
        b_eq=[budget],
        bounds=list(zip(low, high, strict=True)),
        method="highs",
    )
    return bool(result.status == 0)


@FAST
@given(cases())
def test_max_change_is_honoured_whenever_it_is_feasible(case: dict[str, object]) -> None:
    change = case["max_change"]
    budget: float = case["budget"]  # type: ignore[assignment]
    previous = np.nan_to_num(case["previous"], nan=0.0)  # type: ignore[call-overload]
    count = previous.size
    floor = max(case["min_spend"], case["exploration_share"] * budget / count)  # type: ignore[operator]
    channel: np.ndarray = case["channel"]  # type: ignore[assignment]
    caps: dict[int, float] = case["channel_caps"]  # type: ignore[assignment]
    present = set(channel.tolist())
    simple = (
        floor * count <= budget
        and all(floor * (channel == code).sum() <= share * budget for code, share in caps.items())
        and not (present <= set(caps) and sum(caps[c] for c in present) < 1)
    )
    if change is None or budget <= 0 or previous.sum() <= 0 or not simple:
        return
    shaped = run(case)
    held = previous > 0
    if case["protected"] is not None:
        held &= case["protected"]  # type: ignore[operator]
    if not held.any():  # nobody is held to the band: nothing to honour or relax
        assert shaped.max_change is None and np.isinf(shaped.band_high).all()
        return
    if not _band_feasible(case, floor):
        assert shaped.max_change is not None and shaped.max_change > change  # type: ignore[operator]
        return
    assert shaped.max_change == change
    protected = case["protected"]
    running = previous > 0
    if protected is not None:
        running &= protected  # type: ignore[operator]
    reference = previous * budget / previous.sum()
    lower = np.maximum(floor, reference * max(1 - change, 0))  # type: ignore[operator]
    x = shaped.amounts
    assert (x[running] >= lower[running] - CENT).all()
    assert np.isinf(shaped.band_high).all(), "raises are never held back"


def test_without_binding_constraints_the_amounts_follow_the_targets() -> None:
    shaped = shape_budget(
        np.array([0.5, 0.3, 0.2]),
        1000.0,
        np.zeros(3, dtype=np.int64),
        np.full(3, np.nan),
        exploration_share=0.0,
        min_spend=0.0,
        max_change=0.2,
        channel_caps={},
    )
    assert shaped.amounts.tolist() == [500.0, 300.0, 200.0]


def test_a_capped_winner_hands_its_surplus_out_in_proportion_to_the_targets() -> None:
    shaped = shape_budget(
        np.array([0.9, 0.08, 0.02]),
        1000.0,
        np.array([0, 1, 1], dtype=np.int64),
        np.full(3, np.nan),
        exploration_share=0.0,
        min_spend=0.0,
        max_change=None,
        channel_caps={0: 0.5},
    )
    assert shaped.amounts[0] == 500.0
    # Not an even 250/250: the likelier creative absorbs most of what the cap frees.
    assert shaped.amounts[1] / shaped.amounts[2] == pytest.approx(4.0, rel=0.03)
    assert 0 in shaped.capped_channels


def test_a_twenty_percent_band_cuts_a_running_creative_at_most_twenty_percent() -> None:
    shaped = shape_budget(
        np.array([1.0, 0.0, 0.0]),
        900.0,
        np.zeros(3, dtype=np.int64),
        np.array([300.0, 300.0, 300.0]),
        exploration_share=0.0,
        min_spend=0.0,
        max_change=0.2,
        channel_caps={},
    )
    # The others lose exactly a fifth each; the likely best takes what that frees, unheld.
    assert shaped.amounts.tolist() == [420.0, 240.0, 240.0]


def test_impossible_caps_are_raised_and_the_budget_is_still_spent() -> None:
    shaped = shape_budget(
        np.array([0.5, 0.5]),
        1000.0,
        np.array([0, 1], dtype=np.int64),
        np.full(2, np.nan),
        exploration_share=0.0,
        min_spend=0.0,
        max_change=None,
        channel_caps={0: 0.2, 1: 0.3},
    )
    assert shaped.amounts.sum() == pytest.approx(1000.0)
    assert shaped.amounts.tolist() == [400.0, 600.0]
    assert any("caps" in w["text"] for w in shaped.warnings)
