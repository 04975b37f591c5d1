"""
### Koers: daily retention clean-up

Every day at **03:00 Europe/Amsterdam** this DAG asks the landing service to apply its
retention rules once: `POST {KOERS_LANDING_URL}/internal/v1/retention` with
`Authorization: Bearer {KOERS_SERVICE_TOKEN}`. Landing erases candidates whose consent
was withdrawn, rejected candidates four weeks after their procedure ended and everything
past its consent period (at most a year), plus orphan CV files and old visitor salts, and
answers with the counts, which the task logs and returns (XCom). The rules and the data
stay in landing; Airflow never touches the candidate database.

Running it twice erases nothing the second time, so retries are safe. A cron *trigger*
timetable fits: the job acts on "now", not on a data interval. See README.md beside this
file.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import CronTriggerTimetable, dag, task
from airflow.sdk.exceptions import AirflowFailException
from koers_api import ServiceRefused, alert_on_failure, call, client, json_object

log = logging.getLogger(__name__)

TIMEZONE = "Europe/Amsterdam"
LANDING = "KOERS_LANDING_URL"

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "koers",
    "retries": 3,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(hours=1),
    "execution_timeout": timedelta(minutes=30),
}


@dag(
    dag_id="koers_daily_retention",
    description="03:00 Amsterdam: landing erases candidate data past its retention.",
    schedule=CronTriggerTimetable("0 3 * * *", timezone=TIMEZONE),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    on_failure_callback=alert_on_failure,
    tags=["koers", "landing", "privacy"],
    doc_md=__doc__,
)
def koers_daily_retention() -> None:
    @task
    def run_retention() -> dict[str, Any]:
        """Ask landing to run its retention job once and log what it erased."""
        with client(LANDING) as http:
            try:
                response = call(http, "POST", "/internal/v1/retention")
            except ServiceRefused as refused:
                raise AirflowFailException(f"landing refused the retention run: {refused}") from (
                    refused
                )
        report = json_object(response)
        log.info("koers: landing %s", report.get("summary"))
        return report

    run_retention()


koers_daily_retention()
