"""The scheduled jobs as the product sees them, whoever runs them (Airflow or in-process).

The console lists :meth:`JobScheduler.jobs` (last and next runs, failures) and offers
"Run now" through :meth:`JobScheduler.trigger`; it never sees Airflow's own types.
Implementations: ``AirflowScheduler`` (Airflow 3 REST API) and ``EmbeddedScheduler``
(``make run``, no Airflow). Errors are the ``scheduling.errors`` ones: ``NotConfigured``,
``SchedulerUnavailable``, ``UnknownJob``, ``WeekRefused``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from campaigns.scheduling.errors import NotConfigured

RUN_STATES = ("queued", "running", "success", "failed")
"""A run's state, in Airflow's words (other Airflow states pass through unchanged)."""


@dataclass(frozen=True)
class RunSummary:
    """One run of a job."""

    run_id: str
    state: str
    run_type: str
    """``scheduled`` or ``manual`` (Airflow may also say ``backfill``...)."""
    requested_week: str | None
    """The week a "Run now for week X" asked for; None when the run follows the rule."""
    logical_date: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    failed_tasks: tuple[str, ...] = ()
    """For a failed run: the ids of the tasks that failed (not those that never ran)."""
    message: str | None = None
    """A short text when the scheduler has one: the embedded scheduler's exception, or the
    summary its job returned."""

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at


@dataclass(frozen=True)
class JobSummary:
    """One scheduled job (an Airflow DAG) and its most recent runs, newest first."""

    job_id: str
    description: str
    paused: bool
    next_run_at: datetime | None
    recent_runs: tuple[RunSummary, ...]

    @property
    def last_run(self) -> RunSummary | None:
        return self.recent_runs[0] if self.recent_runs else None


@dataclass(frozen=True)
class RunRef:
    """The run a trigger created."""

    job_id: str
    run_id: str
    requested_week: str | None


class JobScheduler(Protocol):
    """Scheduled jobs: list them with their recent runs, and start one now."""

    def jobs(self) -> list[JobSummary]:
        """Every job, with its next run and its last few runs (newest first)."""
        ...

    def trigger(self, dag_id: str, *, week: str | None = None) -> RunRef:
        """Run the job now; ``week`` (``YYYY-Www``) plans that week instead of the current one.

        Raises ``UnknownJob``, ``WeekRefused`` (not a week, or not begun yet),
        ``SchedulerUnavailable`` or ``NotConfigured``."""
        ...


class NoScheduler:
    """The scheduler when none is configured: every question is ``NotConfigured``."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def jobs(self) -> list[JobSummary]:
        raise NotConfigured(self.reason)

    def trigger(self, dag_id: str, *, week: str | None = None) -> RunRef:
        raise NotConfigured(self.reason)
