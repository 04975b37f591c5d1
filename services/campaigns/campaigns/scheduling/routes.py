"""The console's scheduled jobs page: each job's last runs and next run, and "Run now".

Whoever runs the jobs (Airflow, or the console itself under ``make run``) sits behind
``JobScheduler``; a scheduler that is not configured, does not answer or refuses our
login is said plainly on the page, never a 500. The jobs serve every employer, so only
owners see and start them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from campaigns.scheduling.embedded import EmbeddedScheduler
from campaigns.scheduling.errors import (
    NotConfigured,
    SchedulerUnavailable,
    UnknownJob,
    WeekRefused,
)
from campaigns.scheduling.jobs import JobScheduler, JobSummary
from campaigns.scheduling.weeks import TIMEZONE, planned_week
from campaigns.tenancy.deps import ConsoleOwner
from campaigns.web.csrf import check_csrf
from campaigns.web.flash import flash
from campaigns.web.forms import FormField
from campaigns.web.i18n import N_, gettext_for
from campaigns.web.rendering import redirect, render
from koers.isoweeks import week_monday

router = APIRouter(include_in_schema=False)

STATE_LABELS = {
    "queued": "Queued",
    "running": "Running",
    "success": "Succeeded",
    "failed": "Failed",
}
JOB_TITLES = {
    "koers_weekly_allocation": N_("Weekly budget proposals"),
    "koers_daily_retention": N_("Daily data retention"),
    "koers_push_due": N_("Hourly push of decided budgets"),
}
"""Also the order the page lists them in: the weekly job first."""
WEEKLESS_JOBS = frozenset({"koers_push_due", "koers_daily_retention"})
"""Jobs that act on "now", not on a week: their "Run now" asks for no week."""


def get_scheduler(request: Request) -> JobScheduler:
    scheduler: JobScheduler = request.app.state.scheduler
    return scheduler


SchedulerDep = Annotated[JobScheduler, Depends(get_scheduler)]


def _now() -> datetime:
    return datetime.now(UTC)


def duration_text(duration: timedelta | None) -> str:
    """``1 min 05 s``, ``4 s``; a dash while the run has not ended."""
    if duration is None:
        return "-"
    seconds = max(0, round(duration.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def local_time(moment: datetime | None) -> str:
    """A moment on the Amsterdam wall clock, ``Mon 30 Nov 2026 06:00``."""
    if moment is None:
        return "-"
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(TIMEZONE)).strftime("%a %d %b %Y %H:%M")


@router.get("/jobs", name="scheduled_jobs")
def scheduled_jobs(request: Request, user: ConsoleOwner, scheduler: SchedulerDep) -> Response:
    """The scheduled jobs: last runs with their state and failures, next run, "Run now"."""
    jobs: list[JobSummary] = []
    problem: str | None = None
    not_configured = False
    try:
        order = list(JOB_TITLES)
        jobs = sorted(
            scheduler.jobs(),
            key=lambda j: (order.index(j.job_id) if j.job_id in order else len(order), j.job_id),
        )
    except NotConfigured as exc:
        problem, not_configured = str(exc), True
    except SchedulerUnavailable as exc:
        problem = str(exc)
    context: dict[str, Any] = {
        "jobs": jobs,
        "problem": problem,
        "not_configured": not_configured,
        "embedded": isinstance(scheduler, EmbeddedScheduler),
        "current_week": planned_week(_now(), logical_date=None, requested=None),
        "state_labels": STATE_LABELS,
        "job_titles": JOB_TITLES,
        "weekless_jobs": WEEKLESS_JOBS,
        "duration_text": duration_text,
        "local_time": local_time,
        "timezone": TIMEZONE,
    }
    return render(request, "jobs.html", context, user=user)


# The job is a form field, not a path parameter: jobs belong to no tenant, and every
# path parameter of the console names a tenant's object (see the route-table tests).
@router.post("/jobs/runs", name="run_job_now")
def run_job_now(
    request: Request,
    user: ConsoleOwner,
    scheduler: SchedulerDep,
    job_id: FormField = "",
    week: FormField = "",
    csrf_token: FormField = "",
) -> Response:
    """Start a run of the job now, for the current week or the week given."""
    check_csrf(request.session, csrf_token)
    wanted = week.strip().upper() or None
    title = JOB_TITLES.get(job_id, job_id)
    current = planned_week(_now(), logical_date=None, requested=None)
    if wanted is not None:
        try:
            monday = week_monday(wanted)
        except ValueError as exc:
            flash(
                request, "Not started: %(reason)s. Write a week like 2026-W48.", "error", reason=exc
            )
            return redirect(request, "scheduled_jobs")
        if monday > week_monday(current):
            flash(
                request,
                "Not started: %(week)s has not begun yet (this is %(current)s). A week is "
                "planned from its Monday on: leave the week empty for the current week, or "
                "give a past one.",
                "warning",
                week=wanted,
                current=current,
            )
            return redirect(request, "scheduled_jobs")
    try:
        scheduler.trigger(job_id, week=wanted)
    except WeekRefused as exc:
        flash(request, "Not started: %(reason)s", "warning", reason=exc)
    except UnknownJob:
        flash(request, "There is no scheduled job %(job)r.", "error", job=job_id)
    except (NotConfigured, SchedulerUnavailable) as exc:
        flash(request, "Not started: %(reason)s", "warning", reason=exc)
    else:
        job = gettext_for(request)(title)
        if job_id in WEEKLESS_JOBS:
            flash(request, "%(job)s: a run has started.", "ok", job=job)
        else:
            flash(
                request,
                "%(job)s: a run for %(week)s has started.",
                "ok",
                job=job,
                week=wanted or current,
            )
    return redirect(request, "scheduled_jobs")
