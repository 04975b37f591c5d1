"""The product's ``AirflowScheduler`` against a real ``airflow standalone`` (Airflow 3.3).

It lists the Koers DAGs as jobs, triggers the weekly DAG ("Run now", "Run now for week
X") and sees the runs appear and finish; the weekly DAG, run by Airflow's own
scheduler, plans the week the rule says without a logical date and for a conf week; a
future week is refused before Airflow is asked; a week where every campaign was skipped
fails, and its alert reaches the webhook.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from campaigns.scheduling import JobSummary, RunSummary, planned_week
from campaigns.scheduling.airflow import AirflowScheduler
from campaigns.scheduling.errors import NotConfigured, SchedulerUnavailable, WeekRefused
from koers.broker import EmbeddedBroker
from koers.isoweeks import shift_week
from tests.conftest import free_port
from tests.dags.airflow_server import AirflowServer, start_airflow_standalone
from tests.dags.test_airflow_dags import add_campaign_without_live_creatives
from tests.support.processes import SERVICES, Stack, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

WEEKLY = "koers_weekly_allocation"
RUN_TIMEOUT_S = 420


@pytest.fixture(scope="module")
def analytics(broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """An analytics API with no published campaign, for every run of this module, and
    the campaigns API the weekly DAG's steps after planning call (nothing to decide).

    Started before Airflow, which keeps two cores busy while it comes up."""
    workdir = tmp_path_factory.mktemp("analytics-for-airflow")
    (workdir / "var").mkdir()
    stack = Stack(
        workdir=workdir,
        bootstrap_servers=broker.bootstrap_servers,
        database_urls={s: f"sqlite:///{workdir / f'{s}.db'}" for s in SERVICES},
        ports={s: free_port() for s in SERVICES},
    )
    try:
        stack.run("analytics", "migrate")
        stack.run("campaigns", "migrate")
        stack.start_api("analytics")
        stack.start_api("campaigns")
        yield stack
    finally:
        stack.stop_all()


@pytest.fixture(scope="module")
def airflow_server(
    tmp_path_factory: pytest.TempPathFactory, analytics: Stack
) -> Iterator[AirflowServer]:
    yield from start_airflow_standalone(
        tmp_path_factory.mktemp("airflow-standalone"),
        KOERS_ANALYTICS_URL=analytics.url("analytics"),
        KOERS_CAMPAIGNS_URL=analytics.url("campaigns"),
        KOERS_SERVICE_TOKEN=analytics.service_token,
    )


@pytest.fixture
def scheduler(airflow_server: AirflowServer) -> AirflowScheduler:
    # SQLite and two busy cores: Airflow's API may take seconds while a task writes.
    return AirflowScheduler(
        airflow_server.base_url,
        airflow_server.username,
        airflow_server.password,
        timeout_s=60,
    )


def job(scheduler: AirflowScheduler, job_id: str) -> JobSummary:
    [summary] = [j for j in scheduler.jobs() if j.job_id == job_id]
    return summary


def run_of(scheduler: AirflowScheduler, run_id: str) -> RunSummary:
    [run] = [r for r in job(scheduler, WEEKLY).recent_runs if r.run_id == run_id]
    return run


def wait_for_end(scheduler: AirflowScheduler, run_id: str) -> RunSummary:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while True:
        run = run_of(scheduler, run_id)
        if run.state in ("success", "failed"):
            return run
        assert time.monotonic() < deadline, f"run {run_id} still {run.state}"
        time.sleep(3)


def planned_week_of(server: AirflowServer, run_id: str) -> object:
    with server.api() as api:
        response = api.get(
            f"/dags/{WEEKLY}/dagRuns/{run_id}/taskInstances/planned_week/xcomEntries/return_value"
        )
    response.raise_for_status()
    return response.json()["value"]


def test_the_scheduler_lists_the_koers_dags_as_jobs(scheduler: AirflowScheduler) -> None:
    jobs = {summary.job_id: summary for summary in scheduler.jobs()}

    assert set(jobs) == {"koers_daily_retention", "koers_push_due", WEEKLY}
    weekly = jobs[WEEKLY]
    assert weekly.description.startswith("Monday 06:00 Amsterdam")
    assert weekly.paused is False
    assert weekly.recent_runs == () or all(run.run_id for run in weekly.recent_runs)


def test_run_now_for_a_week_plans_that_week(
    scheduler: AirflowScheduler, airflow_server: AirflowServer, analytics: Stack
) -> None:
    last_week = shift_week(planned_week(datetime.now(UTC), logical_date=None, requested=None), -1)

    ref = scheduler.trigger(WEEKLY, week=last_week)

    assert (ref.job_id, ref.requested_week) == (WEEKLY, last_week)
    appeared = run_of(scheduler, ref.run_id)  # visible at once, before it runs
    assert (appeared.run_type, appeared.requested_week) == ("manual", last_week)
    finished = wait_for_end(scheduler, ref.run_id)
    assert finished.state == "success", finished
    assert finished.duration is not None and finished.duration > timedelta(0)
    assert planned_week_of(airflow_server, ref.run_id) == last_week


def test_run_now_without_a_week_plans_the_current_week(
    scheduler: AirflowScheduler, airflow_server: AirflowServer, analytics: Stack
) -> None:
    ref = scheduler.trigger(WEEKLY)

    finished = wait_for_end(scheduler, ref.run_id)
    assert finished.state == "success", finished
    assert (finished.logical_date, finished.requested_week) == (None, None)
    now = datetime.now(UTC)
    assert planned_week_of(airflow_server, ref.run_id) == planned_week(
        now, logical_date=None, requested=None
    )


def test_run_now_for_a_future_week_is_refused_before_airflow_is_asked(
    scheduler: AirflowScheduler,
) -> None:
    next_week = shift_week(planned_week(datetime.now(UTC), logical_date=None, requested=None), 1)
    before = {run.run_id for run in job(scheduler, WEEKLY).recent_runs}

    with pytest.raises(WeekRefused, match=f"{next_week} has not begun yet"):
        scheduler.trigger(WEEKLY, week=next_week)
    with pytest.raises(WeekRefused, match="not an ISO week"):
        scheduler.trigger(WEEKLY, week="next week")

    assert {run.run_id for run in job(scheduler, WEEKLY).recent_runs} == before


# Last in this module: the campaign it adds stays in the module's analytics.
def test_a_week_where_every_campaign_was_skipped_fails_and_alerts(
    scheduler: AirflowScheduler, airflow_server: AirflowServer, analytics: Stack
) -> None:
    add_campaign_without_live_creatives(analytics)
    two_weeks_ago = shift_week(
        planned_week(datetime.now(UTC), logical_date=None, requested=None), -2
    )

    ref = scheduler.trigger(WEEKLY, week=two_weeks_ago)

    finished = wait_for_end(scheduler, ref.run_id)
    assert finished.state == "failed"
    assert finished.failed_tasks == ("check_outcome",)  # autopilot and push never ran
    # The DAG's failure callback (run by the DAG processor) alerted the webhook.
    wait_until(
        lambda: any(a.get("run_id") == ref.run_id for a in airflow_server.alerts.received),
        120,
        interval_s=1,
        message="the failure alert to reach the webhook",
    )
    [alert] = [a for a in airflow_server.alerts.received if a["run_id"] == ref.run_id]
    assert alert["dag_id"] == WEEKLY and "koers: ALERT" in alert["text"]


def test_a_wrong_password_or_no_configuration_is_said_plainly(
    airflow_server: AirflowServer,
) -> None:
    wrong = AirflowScheduler(airflow_server.base_url, airflow_server.username, "not-it")
    with pytest.raises(SchedulerUnavailable, match="refused the login of 'koers'"):
        wrong.jobs()
    with pytest.raises(NotConfigured, match="Airflow is not configured"):
        AirflowScheduler("", "", "")


def test_an_airflow_that_does_not_answer_is_unavailable() -> None:
    nobody = AirflowScheduler(f"http://127.0.0.1:{free_port()}", "koers", "secret", timeout_s=2)
    with pytest.raises(SchedulerUnavailable, match="does not answer"):
        nobody.jobs()
