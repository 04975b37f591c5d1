"""The scheduled jobs in Airflow 3, through its REST API v2 and ``apache-airflow-client``.

Authentication is Airflow 3's: a JWT from ``POST {base_url}/auth/token`` with a username
and password (the simple auth manager of ``airflow standalone``; FAB and Keycloak answer
on the same path), sent as ``Authorization: Bearer``. The client package covers
``/api/v2`` only, so the token comes from one ``httpx`` call; it is fetched on first use
and once more when Airflow answers 401 (tokens expire, 24 h by default).

Only the DAGs whose id starts with ``dag_id_prefix`` (``koers_``) are the product's jobs.
Every failure to reach Airflow, or a refused login, is ``SchedulerUnavailable`` with a
sentence the console can show as it is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import urllib3
from airflow_client.client import ApiClient, Configuration
from airflow_client.client.api.dag_api import DAGApi
from airflow_client.client.api.dag_run_api import DagRunApi
from airflow_client.client.api.task_instance_api import TaskInstanceApi
from airflow_client.client.exceptions import (
    ApiException,
    ConflictException,
    NotFoundException,
    UnauthorizedException,
)
from airflow_client.client.models.dag_run_response import DAGRunResponse
from airflow_client.client.models.trigger_dag_run_post_body import TriggerDAGRunPostBody

from campaigns.scheduling.errors import (
    NotConfigured,
    SchedulerUnavailable,
    UnknownJob,
    WeekRefused,
)
from campaigns.scheduling.jobs import JobSummary, RunRef, RunSummary
from campaigns.scheduling.weeks import planned_week

T = TypeVar("T")
FAILED_TASK_STATES = ["failed"]
"""A failed run's failing tasks; ``upstream_failed`` ones only followed them."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class AirflowScheduler:
    """A :class:`~campaigns.scheduling.jobs.JobScheduler` backed by an Airflow 3 API server."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        dag_id_prefix: str = "koers_",
        recent_runs: int = 5,
        timeout_s: float = 10.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if not base_url or not username or not password:
            raise NotConfigured(
                "Airflow is not configured: set its URL, user name and password to see "
                "and run the scheduled jobs here"
            )
        self._base_url = base_url.rstrip("/")
        self._username = username
        self._password = password
        self._prefix = dag_id_prefix
        self._recent_runs = recent_runs
        self._timeout_s = timeout_s
        self._clock = clock
        self._token: str | None = None
        self._lock = threading.Lock()

    # --- JobScheduler ------------------------------------------------------------------

    def jobs(self) -> list[JobSummary]:
        return self._call(self._jobs)

    def trigger(self, dag_id: str, *, week: str | None = None) -> RunRef:
        if week is not None:
            # Refuse here what the DAG would refuse, so "Run now" answers at once.
            try:
                planned_week(self._clock(), logical_date=None, requested=week)
            except ValueError as exc:
                raise WeekRefused(str(exc)) from exc
        body = TriggerDAGRunPostBody(
            logical_date=None,
            conf={"week": week} if week is not None else {},
            note=f"Run now for {week}" if week else "Run now",
        )

        def trigger(client: ApiClient) -> RunRef:
            try:
                run = DagRunApi(client).trigger_dag_run(
                    dag_id, body, _request_timeout=self._timeout_s
                )
            except NotFoundException as exc:
                raise UnknownJob(f"Airflow has no job {dag_id!r}") from exc
            except ConflictException as exc:
                raise SchedulerUnavailable(f"Airflow refused to run {dag_id}: {exc.body}") from exc
            return RunRef(job_id=dag_id, run_id=run.dag_run_id, requested_week=week)

        return self._call(trigger)

    # --- reading -----------------------------------------------------------------------

    def _jobs(self, client: ApiClient) -> list[JobSummary]:
        dags = DAGApi(client).get_dags(
            dag_id_prefix_pattern=self._prefix,
            exclude_stale=True,
            limit=100,
            order_by=["dag_id"],
            _request_timeout=self._timeout_s,
        )
        return [
            JobSummary(
                job_id=dag.dag_id,
                description=dag.description or "",
                paused=dag.is_paused,
                next_run_at=dag.next_dagrun_run_after,
                recent_runs=tuple(self._runs(client, dag.dag_id)),
            )
            for dag in dags.dags
        ]

    def _runs(self, client: ApiClient, dag_id: str) -> list[RunSummary]:
        runs = DagRunApi(client).get_dag_runs(
            dag_id,
            limit=self._recent_runs,
            order_by=["-run_after"],
            _request_timeout=self._timeout_s,
        )
        return [self._summary(client, run) for run in runs.dag_runs]

    def _summary(self, client: ApiClient, run: DAGRunResponse) -> RunSummary:
        state = str(run.state.value)
        failed: tuple[str, ...] = ()
        if state == "failed":
            instances = TaskInstanceApi(client).get_task_instances(
                run.dag_id,
                run.dag_run_id,
                state=FAILED_TASK_STATES,
                _request_timeout=self._timeout_s,
            )
            failed = tuple(sorted({ti.task_id for ti in instances.task_instances}))
        requested = (run.conf or {}).get("week")
        return RunSummary(
            run_id=run.dag_run_id,
            state=state,
            run_type=str(run.run_type.value),
            requested_week=requested if isinstance(requested, str) else None,
            logical_date=run.logical_date,
            started_at=run.start_date,
            ended_at=run.end_date,
            failed_tasks=failed,
        )

    # --- the connection ----------------------------------------------------------------

    def _call(self, action: Callable[[ApiClient], T]) -> T:
        """Run ``action`` with an authenticated client; a new token once on 401."""
        for attempt in (1, 2):
            configuration = Configuration(host=self._base_url, access_token=self._access_token())
            configuration.retries = 0
            try:
                with ApiClient(configuration) as client:
                    return action(client)
            except UnauthorizedException as exc:
                with self._lock:
                    self._token = None
                if attempt == 2:
                    raise SchedulerUnavailable(
                        f"Airflow at {self._base_url} refused our token: {exc.reason}"
                    ) from exc
            except (UnknownJob, SchedulerUnavailable, WeekRefused):
                raise
            except ApiException as exc:
                raise SchedulerUnavailable(
                    f"Airflow at {self._base_url} answered HTTP {exc.status}: {exc.reason}"
                ) from exc
            except urllib3.exceptions.HTTPError as exc:
                cause = getattr(exc, "reason", None) or exc
                raise SchedulerUnavailable(
                    f"Airflow at {self._base_url} does not answer ({type(cause).__name__})"
                ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _access_token(self) -> str:
        with self._lock:
            if self._token is None:
                self._token = self._login()
            return self._token

    def _login(self) -> str:
        try:
            response = httpx.post(
                f"{self._base_url}/auth/token",
                json={"username": self._username, "password": self._password},
                timeout=self._timeout_s,
            )
        except httpx.HTTPError as exc:
            raise SchedulerUnavailable(
                f"Airflow at {self._base_url} does not answer ({type(exc).__name__})"
            ) from exc
        if response.status_code in (401, 403):
            raise SchedulerUnavailable(
                f"Airflow at {self._base_url} refused the login of {self._username!r}: "
                "check the Airflow user name and password"
            )
        if not response.is_success:
            raise SchedulerUnavailable(
                f"Airflow at {self._base_url} answered HTTP {response.status_code} to the login"
            )
        body: Any = response.json()
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise SchedulerUnavailable(f"Airflow at {self._base_url} sent no access token")
        return token
