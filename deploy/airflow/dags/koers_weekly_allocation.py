"""
### Koers: weekly allocation proposals

Every **Monday 06:00 Europe/Amsterdam** this DAG asks analytics for the budget split of
the ISO week that starts that Monday, for every campaign analytics knows as published:

1. `planned_week`: the ISO week of the run's data-interval end (that Monday, in
   Amsterdam), e.g. `2026-W48`. The data interval is the week before it (Monday 06:00 to
   Monday 06:00), whose facts the proposal learns from.
2. `published_campaigns`: `GET {KOERS_ANALYTICS_URL}/v1/campaigns?status=published`.
3. `propose_allocation`, mapped once per campaign:
   `POST {KOERS_ANALYTICS_URL}/v1/campaigns/{id}/allocations/{week}`. Idempotent: with the
   same facts analytics returns the stored proposal and publishes nothing again, so a
   retry or a re-run never makes a second proposal. One campaign failing does not stop the
   others. A campaign analytics cannot plan (409: no live creative, paused, or the week was
   already decided) is skipped with the reason in the log.

The proposal then waits for a marketer's approval in the console; nothing else happens
here. Calls carry `Authorization: Bearer {KOERS_SERVICE_TOKEN}`. See README.md beside
this file.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from koers_api import ServiceRefused, call, client, json_object

log = logging.getLogger(__name__)

TIMEZONE = "Europe/Amsterdam"
ANALYTICS = "KOERS_ANALYTICS_URL"
PARALLEL_CAMPAIGNS = 4
"""Proposals computed at once: analytics does the work, the DAG must not flood it."""

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "koers",
    "retries": 3,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=30),
    "execution_timeout": timedelta(minutes=10),
}


def iso_week(moment: datetime, timezone: str = TIMEZONE) -> str:
    """The ISO week label (``2026-W48``) of ``moment`` on the wall clock of ``timezone``."""
    local = pendulum.instance(moment).in_timezone(timezone)
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


@dag(
    dag_id="koers_weekly_allocation",
    description="Monday 06:00 Amsterdam: analytics proposes each campaign's budget split.",
    schedule=CronDataIntervalTimetable("0 6 * * 1", timezone=TIMEZONE),
    start_date=pendulum.datetime(2026, 1, 5, 5, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["koers", "analytics"],
    doc_md=__doc__,
)
def koers_weekly_allocation() -> None:
    @task
    def planned_week() -> str:
        """The ISO week that starts on the Monday this run is for."""
        interval_end = get_current_context()["data_interval_end"]
        if interval_end is None:
            raise AirflowFailException("this run has no data interval to plan a week from")
        week = iso_week(interval_end)
        log.info("koers: planning ISO week %s (data interval ends %s)", week, interval_end)
        return week

    @task
    def published_campaigns() -> list[str]:
        """The campaign ids analytics holds a published state for."""
        with client(ANALYTICS) as http:
            try:
                response = call(http, "GET", "/v1/campaigns", params={"status": "published"})
            except ServiceRefused as refused:
                raise AirflowFailException(f"analytics refused the list: {refused}") from refused
        campaign_ids = sorted(str(item["campaign_id"]) for item in json_object(response)["items"])
        log.info("koers: %d published campaign(s) to plan: %s", len(campaign_ids), campaign_ids)
        return campaign_ids

    @task(max_active_tis_per_dagrun=PARALLEL_CAMPAIGNS, map_index_template="{{ campaign_id }}")
    def propose_allocation(campaign_id: str, week: str) -> dict[str, Any]:
        """Ask analytics for the campaign's proposal of the week (idempotent)."""
        get_current_context()["campaign_id"] = campaign_id  # type: ignore[typeddict-unknown-key]
        path = f"/v1/campaigns/{campaign_id}/allocations/{week}"
        with client(ANALYTICS) as http:
            try:
                response = call(http, "POST", path)
            except ServiceRefused as refused:
                if refused.status == 409:
                    log.warning(
                        "koers: campaign %s week %s: not planned: %s",
                        campaign_id,
                        week,
                        refused.detail,
                    )
                    raise AirflowSkipException(refused.detail) from refused
                raise AirflowFailException(
                    f"campaign {campaign_id} week {week}: analytics refused: {refused}"
                ) from refused
        record = json_object(response)
        outcome = "new proposal" if response.status_code == 201 else "unchanged proposal"
        log.info(
            "koers: campaign %s week %s: %s, version %s, status %s, budget EUR %s",
            campaign_id,
            week,
            outcome,
            record.get("version"),
            record.get("status"),
            record.get("budget"),
        )
        return {
            "campaign_id": campaign_id,
            "week": week,
            "created": response.status_code == 201,
            "version": record.get("version"),
            "status": record.get("status"),
            "event_id": record.get("event_id"),
        }

    propose_allocation.partial(week=planned_week()).expand(campaign_id=published_campaigns())


koers_weekly_allocation()
