"""
### Koers: push decided budgets when they are due

Every hour (at minute 5, Europe/Amsterdam) this DAG asks the campaigns service to push
every approved or autopilot split whose push time has passed:
`POST {KOERS_CAMPAIGNS_URL}/internal/v1/push-due` with
`Authorization: Bearer {KOERS_SERVICE_TOKEN}`. The weekly DAG does the same right after
autopilot; this one is for the splits a marketer approves later in the week (a split
approved on Wednesday for this week goes out within the hour, not next Monday) and for
campaigns whose push time is not Monday morning.

Campaigns pushes through its ad-platform adapters (`csv` bulk files, the Meta Marketing
API), stores and audits each result, and never sends an adapter the same split twice,
so retries and overlapping runs change each budget once. A push that failed for a
reason that may pass is retried by the next run (up to five attempts). The task logs the
counts per result status and returns them (XCom). See README.md beside this file.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import CronTriggerTimetable, dag, task
from koers_api import alert_on_failure, push_due_splits
from koers_weeks import TIMEZONE

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "koers",
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=15),
    "execution_timeout": timedelta(minutes=20),
}


@dag(
    dag_id="koers_push_due",
    description="Hourly: campaigns pushes decided budget splits whose push time has passed.",
    schedule=CronTriggerTimetable("5 * * * *", timezone=TIMEZONE),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=55),
    default_args=DEFAULT_ARGS,
    on_failure_callback=alert_on_failure,
    tags=["koers", "campaigns", "delivery"],
    doc_md=__doc__,
)
def koers_push_due() -> None:
    @task
    def push_due() -> dict[str, Any]:
        """Ask campaigns to push every decided split whose push time has passed."""
        return push_due_splits()

    push_due()


koers_push_due()
