"""The engine answers every golden request exactly as it did when the fixture was made.

The fixtures (``tests/fixtures/allocation_golden/``, written by ``make_golden.py`` there)
pin the whole response — amounts, chances, costs, explanation and warnings — for requests
that take every path of ``allocate``: no data, zero spend, one creative, many creatives,
fatigue and drift, late conversions with and without memory, every guardrail, both
allocation rules and the stopping rule. A refactoring of the engine must leave them all
unchanged: strings, ints and nulls exactly, floats to a relative 1e-9.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from analytics.allocation import AllocationMemory, AllocationRequest, allocate

pytestmark = pytest.mark.unit

GOLDEN = Path(__file__).parents[2] / "fixtures" / "allocation_golden"
CASES = sorted(GOLDEN.glob("*.json"))
REL = 1e-9


def differences(expected: Any, actual: Any, where: str = "response") -> list[str]:
    """Where ``actual`` departs from ``expected`` (floats within a relative 1e-9)."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return [] if expected is actual else [f"{where}: {actual!r} != {expected!r}"]
    if isinstance(expected, float) or isinstance(actual, float):
        if not isinstance(actual, int | float) or not isinstance(expected, int | float):
            return [f"{where}: {actual!r} != {expected!r}"]
        close = math.isclose(actual, expected, rel_tol=REL, abs_tol=0.0)
        return [] if close else [f"{where}: {actual!r} != {expected!r}"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or list(actual) != list(expected):
            return [f"{where}: keys {list(actual)!r} != {list(expected)!r}"]
        return [
            d for key in expected for d in differences(expected[key], actual[key], f"{where}.{key}")
        ]
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: {actual!r} != {expected!r}"]
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in differences(e, a, f"{where}[{i}]")
        ]
    return (
        []
        if type(actual) is type(expected) and actual == expected
        else [f"{where}: {actual!r} != {expected!r}"]
    )


def test_there_is_a_golden_set() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_the_engine_reproduces_its_golden_responses(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    memory = AllocationMemory()  # the calls of one case are one campaign's weeks
    for number, call in enumerate(document["calls"], start=1):
        request = AllocationRequest.model_validate(call["request"])
        response = allocate(request, memory).model_dump(mode="json")
        found = differences(call["response"], response)
        assert not found, f"call {number}: " + "; ".join(found[:10])


def test_a_perturbed_figure_is_caught() -> None:
    expected = {"amount": 100.0, "reason": "it keeps the minimum share", "count": 3}
    assert (
        differences(
            expected, {"amount": 100.0 * (1 + 1e-10), "reason": expected["reason"], "count": 3}
        )
        == []
    )
    assert differences(
        expected, {"amount": 100.0 * (1 + 1e-8), "reason": expected["reason"], "count": 3}
    )
    assert differences(expected, {"amount": 100.0, "reason": "it keeps the minimum", "count": 3})
    assert differences(expected, {"amount": 100.0, "reason": expected["reason"], "count": 4})
    assert differences({"winner": None}, {"winner": "a"})
