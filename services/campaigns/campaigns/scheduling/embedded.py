"""Scheduled jobs without Airflow (``make run``): Python callables run in-process.

``EmbeddedScheduler(jobs={"koers_weekly_allocation": weekly_job}, clock=...)`` runs each
``weekly_job(week)`` every Monday 06:00 Europe/Amsterdam for the week starting that
Monday (the schedule of the Airflow DAG of the same name), and on :meth:`trigger` for
the current week or the one asked for (``planned_week``'s rule). ``hourly_jobs`` run at
the top of every hour instead (the push of splits whose push time has passed, like the
Airflow DAG ``koers_push_due``), with the current week as their argument.

- One run at a time per scheduler, on a background worker thread (like the DAG's
  ``max_active_runs=1``); a trigger returns at once with the run queued.
- Scheduled slots before the scheduler was created are not run (like ``catchup=False``,
  but without Airflow's "run the latest missed interval": a restart must not re-plan).
- The run history lives **in memory** (the last ``history`` runs per job) and is lost
  on restart; the jobs are idempotent, so the history is for the console, not for
  correctness.
- A job that raises fails its run; the exception's text is the run's ``message`` and the
  job id its failing task. What a successful job returns (its summary) is the run's
  ``message`` as text. Nothing is retried: the next trigger or Monday runs again.

Call :meth:`start` to run the schedule on a daemon thread (checked every
``poll_interval_s``), or :meth:`run_due` from your own loop; :meth:`join` waits for
queued runs (tests).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from campaigns.scheduling.errors import UnknownJob, WeekRefused
from campaigns.scheduling.jobs import JobSummary, RunRef, RunSummary
from campaigns.scheduling.weeks import TIMEZONE, planned_week
from koers.isoweeks import iso_week, week_monday

log = logging.getLogger(__name__)

WeeklyJob = Callable[[str], object]
"""A job's body: plans, applies and pushes the given ISO week; raises on failure. What it
returns, as text, is the run's message (a summary)."""

RUN_AT = time(6, 0)
"""Mondays at this wall-clock time in Europe/Amsterdam, as the Airflow DAG."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def hour_slot_at_or_before(moment: datetime) -> datetime:
    """The top of the hour at or before ``moment``: the hourly run it falls after."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def monday_slot_at_or_before(moment: datetime, tz: str = TIMEZONE) -> datetime:
    """The Monday 06:00 (``tz``) at or before ``moment``: the scheduled run it falls after."""
    zone = ZoneInfo(tz)
    monday = week_monday(iso_week(moment.astimezone(zone).date()))
    slot = datetime.combine(monday, RUN_AT, zone)
    return slot if slot <= moment else datetime.combine(monday - timedelta(days=7), RUN_AT, zone)


@dataclass
class _Run:
    job_id: str
    run_id: str
    run_type: str
    week: str
    requested_week: str | None
    logical_date: datetime | None
    state: str = "queued"
    started_at: datetime | None = None
    ended_at: datetime | None = None
    message: str | None = None

    def summary(self) -> RunSummary:
        return RunSummary(
            run_id=self.run_id,
            state=self.state,
            run_type=self.run_type,
            requested_week=self.requested_week,
            logical_date=self.logical_date,
            started_at=self.started_at,
            ended_at=self.ended_at,
            failed_tasks=(self.job_id,) if self.state == "failed" else (),
            message=self.message,
        )


class EmbeddedScheduler:
    """A :class:`~campaigns.scheduling.jobs.JobScheduler` running callables in-process."""

    def __init__(
        self,
        jobs: Mapping[str, WeeklyJob],
        *,
        clock: Callable[[], datetime] = utc_now,
        descriptions: Mapping[str, str] | None = None,
        history: int = 20,
        poll_interval_s: float = 30.0,
        hourly_jobs: Mapping[str, WeeklyJob] | None = None,
    ) -> None:
        self._weekly = frozenset(jobs)
        self._jobs = {**jobs, **(hourly_jobs or {})}
        self._clock = clock
        self._descriptions = dict(descriptions or {})
        self._poll_interval_s = poll_interval_s
        self._history: dict[str, deque[_Run]] = {job: deque(maxlen=history) for job in self._jobs}
        self._last_slot = monday_slot_at_or_before(clock())
        self._last_hour = hour_slot_at_or_before(clock())
        self._lock = threading.Lock()
        self._pending: list[Future[None]] = []
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="koers-scheduler")
        self._stop = threading.Event()
        self._loop: threading.Thread | None = None
        self._sequence = 0

    # --- JobScheduler ------------------------------------------------------------------

    def jobs(self) -> list[JobSummary]:
        next_weekly = self._last_slot + timedelta(days=7)
        next_hourly = self._last_hour + timedelta(hours=1)
        with self._lock:
            return [
                JobSummary(
                    job_id=job_id,
                    description=self._descriptions.get(job_id, ""),
                    paused=False,
                    next_run_at=next_weekly if job_id in self._weekly else next_hourly,
                    recent_runs=tuple(run.summary() for run in reversed(self._history[job_id])),
                )
                for job_id in sorted(self._jobs)
            ]

    def trigger(self, dag_id: str, *, week: str | None = None) -> RunRef:
        if dag_id not in self._jobs:
            raise UnknownJob(f"there is no scheduled job {dag_id!r}")
        now = self._clock()
        try:
            planned = planned_week(now, logical_date=None, requested=week)
        except ValueError as exc:
            raise WeekRefused(str(exc)) from exc
        run = self._enqueue(dag_id, "manual", planned, requested_week=week, logical_date=None)
        return RunRef(job_id=dag_id, run_id=run.run_id, requested_week=week)

    # --- the schedule ------------------------------------------------------------------

    def run_due(self) -> list[RunRef]:
        """Queue every weekly job once if a Monday 06:00 has passed since the last check,
        and every hourly job once if the top of an hour has (missed hours run once)."""
        now = self._clock()
        due: list[tuple[str, datetime]] = []
        slot = monday_slot_at_or_before(now)
        if slot > self._last_slot:
            self._last_slot = slot
            due += [(job_id, slot) for job_id in sorted(self._weekly)]
        hour = hour_slot_at_or_before(now)
        if hour > self._last_hour:
            self._last_hour = hour
            due += [(job_id, hour) for job_id in sorted(set(self._jobs) - self._weekly)]
        refs = []
        for job_id, moment in due:
            week = planned_week(moment, logical_date=moment, requested=None)
            run = self._enqueue(job_id, "scheduled", week, requested_week=None, logical_date=moment)
            refs.append(RunRef(job_id=job_id, run_id=run.run_id, requested_week=None))
        return refs

    def start(self) -> None:
        """Check the schedule every ``poll_interval_s`` on a daemon thread until :meth:`stop`."""
        if self._loop is not None:
            return
        self._loop = threading.Thread(target=self._run_loop, name="koers-schedule", daemon=True)
        self._loop.start()

    def stop(self) -> None:
        self._stop.set()
        if self._loop is not None:
            self._loop.join()
            self._loop = None
        self._worker.shutdown(wait=True)

    def join(self, timeout_s: float | None = None) -> None:
        """Wait until every queued run has finished."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.exception(timeout=timeout_s)

    # --- internals ---------------------------------------------------------------------

    def _run_loop(self) -> None:
        while not self._stop.wait(self._poll_interval_s):
            try:
                self.run_due()
            except Exception:  # the schedule must outlive one bad check
                log.exception("koers: embedded scheduler: checking the schedule failed")

    def _enqueue(
        self,
        job_id: str,
        run_type: str,
        week: str,
        *,
        requested_week: str | None,
        logical_date: datetime | None,
    ) -> _Run:
        with self._lock:
            self._sequence += 1
            run = _Run(
                job_id=job_id,
                run_id=f"{run_type}__{self._clock().isoformat()}__{self._sequence}",
                run_type=run_type,
                week=week,
                requested_week=requested_week,
                logical_date=logical_date,
            )
            self._history[job_id].append(run)
            self._pending = [f for f in self._pending if not f.done()]
            self._pending.append(self._worker.submit(self._execute, run))
        log.info("koers: %s: %s run %s queued for week %s", job_id, run_type, run.run_id, week)
        return run

    def _execute(self, run: _Run) -> None:
        with self._lock:
            run.state, run.started_at = "running", self._clock()
        try:
            outcome = self._jobs[run.job_id](run.week)
        except Exception as exc:  # a failed run is recorded, not raised into the worker
            log.exception("koers: %s: run %s for week %s failed", run.job_id, run.run_id, run.week)
            with self._lock:
                run.state, run.ended_at, run.message = "failed", self._clock(), str(exc)[:500]
            return
        with self._lock:
            run.state, run.ended_at = "success", self._clock()
            run.message = None if outcome is None else str(outcome)[:500]
        log.info("koers: %s: run %s for week %s succeeded", run.job_id, run.run_id, run.week)


__all__ = [
    "EmbeddedScheduler",
    "WeeklyJob",
    "hour_slot_at_or_before",
    "monday_slot_at_or_before",
]
