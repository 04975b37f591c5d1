"""
### Koers: weekly allocation proposals, autopilot and push

Every **Monday 06:00 Europe/Amsterdam** this DAG asks analytics for the budget split of
the ISO week that starts that Monday, for every campaign analytics knows as published;
then it has campaigns apply the autopilot campaigns' splits, push what is due and
refresh the benchmarks across employers.

**Which week a run plans** (`koers_weeks.planned_week`, the same rule as the console's
and `koers-campaigns weekly`; Amsterdam wall clock, weeks run Monday to Sunday):

| how the run was started | week planned |
|---|---|
| the schedule (Monday 06:00) | the week starting that Monday (the data-interval end) |
| conf `{"week": "2026-W48"}` ("Run now for week X") | that week; must be `YYYY-Www` |
| a past logical date (re-plan) | the week that date falls in |
| no logical date ("Run now", the console) | the current week (since the last Monday) |
| a week not begun yet (future date or week) | **refused**: fails in `planned_week`, calls nothing |

Airflow 3.3's scheduler does not start a run whose logical date is in the future (it logs
"Logical date is in future" and waits), so such a run from the UI or the CLI would never
reach `planned_week`: `dagrun_timeout` fails it after 3 hours instead, with the alert.
The console and `koers-campaigns weekly` never send a logical date and refuse a future
week before calling Airflow; `airflow dags test` runs the tasks and refuses at once.

Tasks:

1. `planned_week`: the ISO week label by the rule above, e.g. `2026-W48`; a bad or
   future week fails the run here, without retries.
2. `published_campaigns`: `GET {KOERS_ANALYTICS_URL}/v1/campaigns?status=published`.
3. `propose_allocation`, mapped once per campaign:
   `POST {KOERS_ANALYTICS_URL}/v1/campaigns/{id}/allocations/{week}`. Idempotent: with the
   same facts analytics returns the stored proposal and publishes nothing again, so a
   retry or a re-run never makes a second proposal. One campaign failing does not stop the
   others. A campaign analytics cannot plan (409: no live creative, paused, or the week was
   already decided) is skipped with the reason in the log.
4. `check_outcome` (runs whatever happened above): logs what was planned, and fails the
   run when a task failed or when there were campaigns and **none** was planned (every
   one skipped), so such a week never shows as a success.

5. `apply_autopilot` (only after a successful check):
   `POST {KOERS_CAMPAIGNS_URL}/internal/v1/weeks/{week}/autopilot`. Campaigns applies each
   autopilot campaign's split when it stays within its guardrails and holds it for a
   person otherwise (the same function as the embedded weekly job). **How campaigns sees
   the proposals**: analytics announces each one as `AllocationProposed` on Kafka, which
   may reach campaigns' consumer after this task starts. So campaigns does not wait: for
   an autopilot campaign without the week's proposal it reads the one analytics holds
   (`GET /v1/campaigns/{id}/allocations/{week}`: the same event, by id, computed again
   by nobody) and stores it as the consumer would; the late event then changes nothing.
   Idempotent: a decided week is left alone.
6. `push_due`: `POST {KOERS_CAMPAIGNS_URL}/internal/v1/push-due`: every approved or
   autopilot split whose push time (the approval deadline) has passed goes to the ad
   platforms; an adapter never gets the same split twice. Splits approved later in the
   week go out with the hourly DAG `koers_push_due`, which calls the same endpoint.

7. `refresh_benchmarks` (after `push_due`):
   `POST {KOERS_CAMPAIGNS_URL}/internal/v1/weeks/{week}/benchmarks`. Campaigns recomputes
   the benchmarks across employers over the 26 whole weeks before the week (the embedded
   weekly job's last step, the same function). It comes last so it never holds up the
   budgets: the splits are pushed first, and a refresh that fails (analytics or landing
   down: 503, retried; the last cells stay) fails the run with the alert after the push.
   Idempotent: a re-run replaces the cells with the same ones.

All three answer with counts, which the tasks log. A failed run logs `koers: ALERT: ...` and,
when the Variable `KOERS_ALERT_WEBHOOK_URL` is set, POSTs a short JSON to it. Calls carry
`Authorization: Bearer {KOERS_SERVICE_TOKEN}`. See README.md beside this file.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx
import pendulum
from airflow.sdk import CronDataIntervalTimetable, TriggerRule, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from koers_api import (
    CAMPAIGNS,
    ServiceRefused,
    alert_on_failure,
    call,
    client,
    json_object,
    push_due_splits,
)
from koers_weeks import TIMEZONE
from koers_weeks import planned_week as week_rule

log = logging.getLogger(__name__)

DAG_ID = "koers_weekly_allocation"
ANALYTICS = "KOERS_ANALYTICS_URL"
PARALLEL_CAMPAIGNS = 4
"""Proposals computed at once: analytics does the work, the DAG must not flood it."""
RUN_TIMEOUT = timedelta(hours=3)
"""Well above a slow run's retries; what ends a run the scheduler holds for a future date."""
BENCHMARKS_TIMEOUT = httpx.Timeout(300.0, connect=10.0)
"""The refresh reads every taking-part campaign's funnel and contact facts in one request."""
RUNS_OF_THE_SCHEDULE = frozenset({"scheduled", "backfill"})
"""Run types whose week is their data-interval end (their logical date is its start)."""

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "koers",
    "retries": 3,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=30),
    "execution_timeout": timedelta(minutes=10),
}


@dag(
    dag_id=DAG_ID,
    description=(
        "Monday 06:00 Amsterdam: analytics proposes each campaign's budget split; "
        "autopilot applies, due splits are pushed, the benchmarks are refreshed."
    ),
    schedule=CronDataIntervalTimetable("0 6 * * 1", timezone=TIMEZONE),
    start_date=pendulum.datetime(2026, 1, 5, 5, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=RUN_TIMEOUT,
    default_args=DEFAULT_ARGS,
    on_failure_callback=alert_on_failure,
    tags=["koers", "analytics"],
    doc_md=__doc__,
)
def koers_weekly_allocation() -> None:
    @task(retries=0)
    def planned_week() -> str:
        """The ISO week this run plans (see the DAG's docs); fails at once if it must not."""
        context = get_current_context()
        dag_run = context["dag_run"]
        run_type = str(getattr(dag_run.run_type, "value", dag_run.run_type))
        requested = (dag_run.conf or {}).get("week")
        # A scheduled run's logical date is its data interval's start, a week early: the
        # week it is for starts at the interval's end, the Monday it runs.
        moment = (
            context["data_interval_end"]
            if run_type in RUNS_OF_THE_SCHEDULE
            else dag_run.logical_date
        )
        try:
            week = week_rule(dag_run.run_after, logical_date=moment, requested=requested)
        except ValueError as refused:
            raise AirflowFailException(f"koers: not planning this run: {refused}") from refused
        log.info(
            "koers: planning ISO week %s (%s run, logical date %s, conf week %s, run after %s)",
            week,
            run_type,
            moment,
            requested,
            dag_run.run_after,
        )
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

    @task(trigger_rule=TriggerRule.ALL_DONE, retries=0)
    def check_outcome(
        week: str | None, campaign_ids: list[str] | None, proposals: Sequence[dict[str, Any]]
    ) -> dict[str, Any]:
        """Fail the run unless it planned something (or there was nothing to plan).

        This is the DAG's only leaf, so it decides the run's state: it fails when an
        earlier task failed, and when every campaign was skipped."""
        context = get_current_context()
        failed = context["ti"].get_ti_count(
            dag_id=DAG_ID,
            task_ids=["planned_week", "published_campaigns", "propose_allocation"],
            run_ids=[context["run_id"]],
            states=["failed", "upstream_failed"],
        )
        if week is None:
            raise AirflowFailException("koers: no week was planned (see task planned_week)")
        if campaign_ids is None:
            raise AirflowFailException(
                f"koers: week {week}: the published campaigns could not be listed "
                "(see task published_campaigns)"
            )
        planned = [dict(proposal) for proposal in proposals]
        not_planned = len(campaign_ids) - len(planned)
        summary = (
            f"koers: week {week}: planned {len(planned)} of {len(campaign_ids)} campaign(s)"
            f" ({sum(1 for p in planned if p['created'])} new proposal(s));"
            f" {not_planned} skipped or failed"
        )
        log.info(summary)
        if failed:
            raise AirflowFailException(f"{summary}: {failed} task(s) failed, see their logs")
        if campaign_ids and not planned:
            raise AirflowFailException(
                f"{summary}: every campaign was skipped, nothing was planned "
                "(see propose_allocation's logs for each reason)"
            )
        return {"week": week, "campaigns": len(campaign_ids), "planned": len(planned)}

    @task
    def apply_autopilot(week: str) -> dict[str, Any]:
        """Ask campaigns to apply the week's autopilot splits within their guardrails."""
        with client(CAMPAIGNS) as http:
            try:
                response = call(http, "POST", f"/internal/v1/weeks/{week}/autopilot")
            except ServiceRefused as refused:
                raise AirflowFailException(
                    f"week {week}: campaigns refused autopilot: {refused}"
                ) from refused
        counts = json_object(response)
        log.info(
            "koers: week %s: autopilot applied %s, held %s for a person "
            "(%s proposal(s) campaigns read from analytics)",
            week,
            counts.get("applied"),
            counts.get("held"),
            counts.get("fetched"),
        )
        return counts

    @task
    def push_due() -> dict[str, Any]:
        """Ask campaigns to push every decided split whose push time has passed."""
        return push_due_splits()

    @task
    def refresh_benchmarks(week: str) -> dict[str, Any]:
        """Ask campaigns to recompute the benchmarks over the whole weeks before ``week``."""
        with client(CAMPAIGNS) as http:
            try:
                response = call(
                    http,
                    "POST",
                    f"/internal/v1/weeks/{week}/benchmarks",
                    timeout=BENCHMARKS_TIMEOUT,
                )
            except ServiceRefused as refused:
                raise AirflowFailException(
                    f"week {week}: campaigns refused the benchmarks refresh: {refused}"
                ) from refused
        summary = json_object(response)
        log.info(
            "koers: week %s: benchmarks %s..%s refreshed: %s employer(s), %s campaign(s), "
            "%s cell(s) shown, %s withheld",
            week,
            summary.get("weeks_from"),
            summary.get("weeks_to"),
            summary.get("employers"),
            summary.get("campaigns"),
            summary.get("cells_shown"),
            summary.get("cells_hidden"),
        )
        return summary

    week = planned_week()
    campaign_ids = published_campaigns()
    week >> campaign_ids  # a refused week calls nothing
    proposals = propose_allocation.partial(week=week).expand(campaign_id=campaign_ids)
    outcome = check_outcome(week, campaign_ids, proposals)  # type: ignore[arg-type]  # XComArgs
    # Only after a week that planned something; a failed check stops here (upstream_failed).
    # The benchmarks last, as in the embedded job: the budgets are pushed before it starts.
    (
        outcome
        >> apply_autopilot(week)  # type: ignore[arg-type]  # XComArg
        >> push_due()
        >> refresh_benchmarks(week)  # type: ignore[arg-type]  # XComArg
    )


koers_weekly_allocation()
