"""The steps after planning as the Airflow DAG calls them (``/internal/v1``): service
token only; autopilot applies a proposal the broker has not brought yet (read from what
analytics holds, same event); pushing what is due is idempotent; counts, not names."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from decisions_testkit import WEEK, FakeDelivery, FakeInsights, demo_campaign, proposal_of
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from test_decisions_autopilot_and_push import set_autopilot

from campaigns.config import Settings
from campaigns.decisions import repository as repo
from campaigns.main import create_app
from campaigns.seed import SeedResult
from tests.support.passwords import FAST_PASSWORD_HASHER

pytestmark = pytest.mark.unit

TOKEN = "internal-test-token"
EVENT_ID = "7d7f1b9e-0000-4000-8000-0000000000aa"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


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
