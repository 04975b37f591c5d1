"""The week rule: the services' ``planned_week`` and the DAG's copy agree on every case."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from campaigns.scheduling import FutureWeek, planned_week
from tests.dags.week_cases import WEEK_CASES, WeekCase

pytestmark = pytest.mark.unit

DAGS_FOLDER = Path(__file__).resolve().parents[2] / "deploy" / "airflow" / "dags"


def load_dag_weeks() -> ModuleType:
    """The DAG folder's ``koers_weeks`` (standard library only), loaded by its path."""
    spec = importlib.util.spec_from_file_location("koers_weeks", DAGS_FOLDER / "koers_weeks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DAG_WEEKS = load_dag_weeks()
RULES: dict[str, tuple[Callable[..., str], type[ValueError]]] = {
    "services": (planned_week, FutureWeek),
    "dag": (DAG_WEEKS.planned_week, DAG_WEEKS.FutureWeek),
}


@pytest.mark.parametrize("implementation", sorted(RULES))
@pytest.mark.parametrize("case", WEEK_CASES, ids=[case.name for case in WEEK_CASES])
def test_each_implementation_plans_the_week_of_the_table(
    implementation: str, case: WeekCase
) -> None:
    rule, future_week = RULES[implementation]
    arguments: dict[str, Any] = {"logical_date": case.logical_date, "requested": case.requested}
    if case.expected is not None:
        assert rule(case.now, **arguments) == case.expected
        return
    with pytest.raises(ValueError, match=case.refused_because) as refused:
        rule(case.now, **arguments)
    assert isinstance(refused.value, future_week) == case.future


def test_a_refused_future_week_says_what_to_do_instead() -> None:
    now = WEEK_CASES[0].now
    with pytest.raises(FutureWeek) as services:
        planned_week(now, logical_date=None, requested="2026-W50")
    with pytest.raises(DAG_WEEKS.FutureWeek) as dag:
        DAG_WEEKS.planned_week(now, logical_date=None, requested="2026-W50")
    assert str(services.value) == str(dag.value)
    assert "it is 2026-W48 in Europe/Amsterdam" in str(services.value)
    assert "without a logical date" in str(services.value)
