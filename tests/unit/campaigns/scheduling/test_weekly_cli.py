"""``koers-campaigns weekly``: the week by the one rule, a future week refused (exit 2),
nothing planned a failure (exit 1) that names each campaign's reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from campaigns.cli import app
from campaigns.scheduling import planned_week
from campaigns.seed import SeedResult
from koers.isoweeks import shift_week
from tests.conftest import free_port

pytestmark = pytest.mark.unit


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("KOERS_CAMPAIGNS_DATABASE_URL", database_url)
    monkeypatch.setenv("KOERS_ANALYTICS_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("KOERS_SERVICE_TOKEN", "t")


def this_week() -> str:
    return planned_week(datetime.now(UTC), logical_date=None, requested=None)


def test_a_week_that_has_not_begun_is_refused_with_exit_code_2(environment: None) -> None:
    next_week = shift_week(this_week(), 1)

    result = CliRunner().invoke(app, ["weekly", "--week", next_week])

    assert result.exit_code == 2
    assert f"Not run: {next_week} has not begun yet" in result.output


def test_a_label_that_is_no_week_is_refused_with_exit_code_2(environment: None) -> None:
    result = CliRunner().invoke(app, ["weekly", "--week", "2027-W53"])

    assert result.exit_code == 2
    assert "2027 has no week 53" in result.output


def test_with_no_live_campaign_the_current_week_is_planned_empty(environment: None) -> None:
    result = CliRunner().invoke(app, ["weekly"])

    assert result.exit_code == 0, result.output
    assert f"week {this_week()}: planned 0 of 0 campaign(s)" in result.output


def test_nothing_planned_exits_1_and_says_why_per_campaign(
    environment: None, seeded: SeedResult
) -> None:
    last_week = shift_week(this_week(), -1)

    result = CliRunner().invoke(app, ["weekly", "--week", last_week])

    assert result.exit_code == 1
    assert f"The weekly job failed: nothing planned: week {last_week}: planned 0 of 1" in (
        result.output
    )
    assert "  failed   Klantenservicemedewerker Utrecht: analytics could not be asked" in (
        result.output
    )
    assert "analytics could not be asked" in result.output
