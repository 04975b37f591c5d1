"""The console's jobs page against a real ``airflow standalone`` (Airflow 3.3).

"Run now" on the page triggers the weekly DAG through the product's ``AirflowScheduler``
(``apache-airflow-client``); Airflow runs it against the real analytics API; the
proposal reaches the campaigns database through the broker and the campaigns consumer,
for the week the rule says. A second run of the same week changes nothing: analytics
publishes nothing new and the campaigns service keeps the same proposal.

One module-scoped installation (Airflow's start-up costs ~90 s) for one test.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from campaigns.config import Settings
from campaigns.demo import DEMO_EMAIL
from campaigns.main import create_app
from campaigns.scheduling import JobScheduler, RunSummary, planned_week
from campaigns.scheduling.airflow import AirflowScheduler
from koers.broker import EmbeddedBroker
from koers.db import make_engine
from tests.conftest import free_port
from tests.dags.airflow_server import AirflowServer, start_airflow_standalone
from tests.dags.test_airflow_dags import (
    analytics_applied_every_event,
    published_campaigns,
)
from tests.support import campaigns_db as repo
from tests.support.passwords import FAST_PASSWORD_HASHER
from tests.support.processes import SERVICES, Stack, wait_until
from tests.unit.campaigns.insight_testkit import HTML, csrf_from, log_in

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

WEEKLY = "koers_weekly_allocation"
DEMO_PASSWORD = "demo-password-for-tests"  # what Stack gives seed-demo
RUN_TIMEOUT_S = 420


@pytest.fixture(scope="module")
def stack(broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The demo campaign published to analytics, and the path back: analytics' relay and
    the campaigns consumer carry its proposals into the campaigns database."""
    workdir = tmp_path_factory.mktemp("jobs-page-airflow")
    (workdir / "var").mkdir()
    stack = Stack(
        workdir=workdir,
        bootstrap_servers=broker.bootstrap_servers,
        database_urls={s: f"sqlite:///{workdir / f'{s}.db'}" for s in SERVICES},
        ports={s: free_port() for s in SERVICES},
    )
    try:
        for service in SERVICES:
            stack.run(service, "migrate")
        # The API first and alone: on two busy cores four processes starting at once
        # can keep it from answering within its minute.
        stack.start_api("analytics")
        stack.start_api("campaigns")  # the weekly DAG's autopilot and push steps
        stack.run("campaigns", "seed-demo")
        stack.start("campaigns-relay", "campaigns", "relay")
        stack.start("analytics-consumer", "analytics", "consume")
        stack.start("analytics-relay", "analytics", "relay")
        stack.start("campaigns-consumer", "campaigns", "consume")
        wait_until(
            lambda: analytics_applied_every_event(stack),
            120,
            interval_s=0.5,
            message="analytics to apply the demo campaign",
        )
        yield stack
    finally:
        stack.stop_all()


@pytest.fixture(scope="module")
def airflow_server(
    tmp_path_factory: pytest.TempPathFactory, stack: Stack
) -> Iterator[AirflowServer]:
    yield from start_airflow_standalone(
        tmp_path_factory.mktemp("airflow-for-the-jobs-page"),
        KOERS_ANALYTICS_URL=stack.url("analytics"),
        KOERS_CAMPAIGNS_URL=stack.url("campaigns"),
        KOERS_SERVICE_TOKEN=stack.service_token,
    )


@pytest.fixture
def console(stack: Stack, airflow_server: AirflowServer) -> Iterator[TestClient]:
    settings = Settings(
        database_url=stack.database_urls["campaigns"],
        secret_key="jobs-page-airflow-secret",
        analytics_url=stack.url("analytics"),
        service_token=stack.service_token,
        kafka_bootstrap_servers=stack.bootstrap_servers,
        var_dir=stack.workdir / "var",
        airflow_url=airflow_server.base_url,
        airflow_username=airflow_server.username,
        airflow_password=airflow_server.password,
        # SQLite and two busy cores: Airflow's API may take seconds while a task writes.
        airflow_timeout_s=60,
    )
    with TestClient(create_app(settings, password_hasher=FAST_PASSWORD_HASHER)) as client:
        log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
        # The console is Dutch by default; this test reads the English texts.
        token = csrf_from(client.get("/jobs", headers=HTML).text)
        chosen = client.post(
            "/account/language",
            data={"language": "en", "csrf_token": token},
            headers=HTML,
            follow_redirects=False,
        )
        assert chosen.status_code == 303, chosen.text
        yield client


def press_run_now(console: TestClient, week: str = "") -> str:
    token = csrf_from(console.get("/jobs", headers=HTML).text)
    response = console.post(
        "/jobs/runs", data={"csrf_token": token, "job_id": WEEKLY, "week": week}, headers=HTML
    )
    assert response.status_code == 200, response.text
    return response.text


def weekly_runs(console: TestClient) -> tuple[RunSummary, ...]:
    scheduler: JobScheduler = console.app.state.scheduler  # type: ignore[attr-defined]
    [weekly] = [job for job in scheduler.jobs() if job.job_id == WEEKLY]
    return weekly.recent_runs


def wait_for_new_run_to_end(console: TestClient, known: set[str]) -> RunSummary:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while True:
        new = [run for run in weekly_runs(console) if run.run_id not in known]
        if new and new[0].state in ("success", "failed"):
            return new[0]
        assert time.monotonic() < deadline, f"no finished run yet: {new}"
        time.sleep(3)


def stored_proposal(stack: Stack, campaign_id: str, week: str) -> tuple[str, dict] | None:  # type: ignore[type-arg]
    engine = make_engine(stack.database_urls["campaigns"])
    table = repo.allocation_proposals
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.select(table.c.event_id, table.c.payload).where(
                    table.c.campaign_id == campaign_id, table.c.week == week
                )
            ).first()
    finally:
        engine.dispose()
    return None if row is None else (row.event_id, row.payload)


def proposals_published(stack: Stack) -> int:
    from tests.dags.test_airflow_dags import proposals_published as published_for

    return sum(published_for(stack, c) for c in published_campaigns(stack))


def test_run_now_on_the_page_runs_the_weekly_dag_for_the_intended_week_once(
    console: TestClient, stack: Stack, airflow_server: AirflowServer
) -> None:
    page = console.get("/jobs", headers=HTML).text
    assert "Weekly budget proposals" in page and "Daily data retention" in page
    assert "run inside the console" not in page
    [campaign_id] = published_campaigns(stack)
    week = planned_week(datetime.now(UTC), logical_date=None, requested=None)
    assert isinstance(console.app.state.scheduler, AirflowScheduler)  # type: ignore[attr-defined]

    # "Run now" without a week: Airflow plans the current week.
    known = {run.run_id for run in weekly_runs(console)}
    shown = press_run_now(console)
    assert f"Weekly budget proposals: a run for {week} has started." in shown
    first = wait_for_new_run_to_end(console, known)
    assert first.state == "success", (first, airflow_server.logs())
    wait_until(
        lambda: stored_proposal(stack, campaign_id, week) is not None,
        120,
        interval_s=1,
        message="the proposal to reach the campaigns database",
    )
    stored = stored_proposal(stack, campaign_id, week)
    assert stored is not None and stored[1]["week"] == week
    assert proposals_published(stack) == 1
    page = console.get("/jobs", headers=HTML).text
    assert re.search(r'class="status run-success">Succeeded</span>', page)

    # The same week again, asked for by name: nothing changes anywhere.
    known.add(first.run_id)
    press_run_now(console, week=week)
    second = wait_for_new_run_to_end(console, known)
    assert (second.state, second.requested_week) == ("success", week)
    time.sleep(5)  # anything published would be consumed by now
    assert proposals_published(stack) == 1
    assert stored_proposal(stack, campaign_id, week) == stored
    page = console.get("/jobs", headers=HTML).text
    assert f"run now for {week}" in page
    assert page.count('class="status run-success">Succeeded</span>') == 2
