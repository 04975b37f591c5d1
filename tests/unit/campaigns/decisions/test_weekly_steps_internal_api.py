"""The steps after planning as the Airflow DAG calls them (``/internal/v1``): service
token only; autopilot applies a proposal the broker has not brought yet (read from what
analytics holds, same event); pushing what is due is idempotent; counts, not names."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from decisions_testkit import WEEK, FakeDelivery, FakeInsights, demo_campaign, proposal_of
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from test_decisions_autopilot_and_push import set_autopilot

from campaigns.benchmarks.service import set_participation
from campaigns.config import Settings
from campaigns.decisions import repository as repo
from campaigns.insights.analytics_client import HttpAnalyticsClient
from campaigns.leads.landing_client import HttpLandingClient
from campaigns.main import create_app
from campaigns.seed import SeedResult
from tests.support.passwords import FAST_PASSWORD_HASHER
from tests.unit.campaigns.insight_testkit import SERVICE_TOKEN, free_port, landing_app, serve

pytestmark = pytest.mark.unit

TOKEN = "internal-test-token"
EVENT_ID = "7d7f1b9e-0000-4000-8000-0000000000aa"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
def analytics() -> FakeInsights:
    return FakeInsights()


@pytest.fixture
def delivery() -> FakeDelivery:
    return FakeDelivery()


@pytest.fixture
def internal(
    settings: Settings, analytics: FakeInsights, delivery: FakeDelivery
) -> Iterator[TestClient]:
    with_token = settings.model_copy(update={"service_token": TOKEN})
    app = create_app(
        with_token, analytics=analytics, delivery=delivery, password_hasher=FAST_PASSWORD_HASHER
    )  # type: ignore[arg-type]
    with TestClient(app) as test_client:
        yield test_client


def test_autopilot_reads_the_proposal_analytics_holds_and_the_push_goes_out_once(
    engine: Engine,
    seeded: SeedResult,
    internal: TestClient,
    analytics: FakeInsights,
    delivery: FakeDelivery,
) -> None:
    set_autopilot(engine, True)
    campaign = demo_campaign(engine)
    # The DAG asked analytics; its AllocationProposed event is still on the broker.
    analytics.proposals[(campaign.id, WEEK)] = proposal_of(campaign).model_copy(
        update={"event_id": EVENT_ID, "proposed_at": datetime(2026, 11, 30, 5, tzinfo=UTC)}
    )

    assert internal.post(f"/internal/v1/weeks/{WEEK}/autopilot").status_code == 401
    first = internal.post(f"/internal/v1/weeks/{WEEK}/autopilot", headers=AUTH)
    again = internal.post(f"/internal/v1/weeks/{WEEK}/autopilot", headers=AUTH)

    assert first.status_code == 200, first.text
    assert first.json() == {"week": WEEK, "applied": 1, "held": 0, "fetched": 1}
    assert again.json() == {"week": WEEK, "applied": 0, "held": 0, "fetched": 0}
    with engine.connect() as conn:
        decision = repo.decision_for(conn, campaign.id, WEEK)
        assert repo.allocation_event_id(conn, campaign.id, WEEK) == EVENT_ID  # same event
    assert decision is not None and decision.status == "autopilot"

    # 2026-W49's push time (its Monday 09:00 in Amsterdam) has passed.
    assert internal.post("/internal/v1/push-due").status_code == 401
    pushed = internal.post("/internal/v1/push-due", headers=AUTH)
    repeated = internal.post("/internal/v1/push-due", headers=AUTH)

    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["pushes"] == 2  # the csv bulk file and the counting adapter
    assert repeated.json() == {"pushes": 0, "by_status": {}}
    assert len(delivery.counting.pushed) == 1
    assert campaign.name not in pushed.text + first.text


@pytest.mark.parametrize("week", ["2026-W54", "volgende-week", "2026W49"])
def test_a_week_that_is_not_one_is_a_problem_not_an_error(
    seeded: SeedResult, internal: TestClient, week: str
) -> None:
    response = internal.post(f"/internal/v1/weeks/{week}/autopilot", headers=AUTH)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_without_airflow_the_console_runs_the_push_every_hour(internal: TestClient) -> None:
    """Under ``make run`` a split approved after Monday goes out within the hour of its
    push time: the embedded scheduler has the push as a job of its own."""
    scheduler = internal.app.state.scheduler  # type: ignore[attr-defined]
    jobs = {job.job_id: job for job in scheduler.jobs()}

    assert set(jobs) == {"koers_weekly_allocation", "koers_push_due"}
    next_push = jobs["koers_push_due"].next_run_at
    assert next_push is not None
    assert timedelta(0) < next_push - datetime.now(UTC) <= timedelta(hours=1)
    assert next_push < jobs["koers_weekly_allocation"].next_run_at


# --- the benchmarks' refresh, the DAG's last step ------------------------------------------


def _internal_with(settings: Settings, analytics: object, landing: HttpLandingClient) -> TestClient:
    with_token = settings.model_copy(update={"service_token": TOKEN})
    app = create_app(with_token, analytics=analytics, landing=landing)  # type: ignore[arg-type]
    return TestClient(app)


@pytest.fixture
def landing_url(tmp_path: Path) -> Iterator[str]:
    """Landing's real app, on its own SQLite database, served on a free port."""
    app, engine = landing_app(f"sqlite:///{tmp_path / 'landing.db'}", tmp_path / "cvs")
    with serve(app) as url:
        yield url
    engine.dispose()


def test_the_dag_refreshes_the_benchmarks_with_the_service_token_only(
    engine: Engine,
    seeded: SeedResult,
    settings: Settings,
    analytics: FakeInsights,
    landing_url: str,
) -> None:
    campaign = demo_campaign(engine)
    set_participation(
        engine, campaign.tenant_id, opted_in=True, sector="zorg", actor="test", now=NOW
    )
    landing = HttpLandingClient(landing_url, SERVICE_TOKEN)
    with _internal_with(settings, analytics, landing) as internal:
        refused = internal.post(f"/internal/v1/weeks/{WEEK}/benchmarks")
        wrong = internal.post(
            f"/internal/v1/weeks/{WEEK}/benchmarks", headers={"Authorization": "Bearer nope"}
        )
        answer = internal.post(f"/internal/v1/weeks/{WEEK}/benchmarks", headers=AUTH)

    assert (refused.status_code, wrong.status_code) == (401, 401)
    assert answer.status_code == 200, answer.text
    # One employer takes part, with its one campaign that has a region: too few to show.
    assert answer.json() == {
        "week": WEEK,
        "weeks_from": "2026-W23",
        "weeks_to": "2026-W48",
        "employers": 1,
        "campaigns": 1,
        "cells_shown": 0,
        "cells_hidden": 0,
    }
    assert campaign.name not in answer.text and campaign.tenant_id not in answer.text
    landing.close()


@pytest.mark.parametrize("week", ["2026-W54", "volgende-week", "2026W49"])
def test_a_benchmarks_week_that_is_not_one_is_a_problem(
    seeded: SeedResult, internal: TestClient, week: str
) -> None:
    response = internal.post(f"/internal/v1/weeks/{week}/benchmarks", headers=AUTH)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_landing_or_analytics_down_is_a_503_that_says_which(
    engine: Engine, seeded: SeedResult, settings: Settings, landing_url: str
) -> None:
    campaign = demo_campaign(engine)
    set_participation(
        engine, campaign.tenant_id, opted_in=True, sector="zorg", actor="test", now=NOW
    )
    nowhere = f"http://127.0.0.1:{free_port()}"
    landing_down = HttpLandingClient(nowhere, SERVICE_TOKEN, timeout_s=2)
    with _internal_with(settings, FakeInsights(), landing_down) as internal:
        no_landing = internal.post(f"/internal/v1/weeks/{WEEK}/benchmarks", headers=AUTH)
    landing = HttpLandingClient(landing_url, SERVICE_TOKEN)
    analytics_down = HttpAnalyticsClient(nowhere, SERVICE_TOKEN, timeout_s=2)
    with _internal_with(settings, analytics_down, landing) as internal:
        no_analytics = internal.post(f"/internal/v1/weeks/{WEEK}/benchmarks", headers=AUTH)

    assert no_landing.status_code == 503, no_landing.text
    assert "landing could not be asked" in no_landing.json()["detail"]
    assert "the last cells stay" in no_landing.json()["detail"]
    assert no_analytics.status_code == 503, no_analytics.text
    assert "analytics could not be asked" in no_analytics.json()["detail"]
    landing.close()
    landing_down.close()
    analytics_down.close()
