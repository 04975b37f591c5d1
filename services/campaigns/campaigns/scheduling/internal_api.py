"""``/internal/v1``: the weekly job's steps after planning, for the Airflow DAGs.

Service token only (``Authorization: Bearer``), never a console session. Both are
idempotent and answer with counts, never names (they end up in Airflow's task logs):

- ``POST /internal/v1/weeks/{week}/autopilot``: apply autopilot for the week
  (``WeeklySteps.apply_autopilot``, which reads from analytics any proposal the broker
  has not brought yet);
- ``POST /internal/v1/push-due``: push every decided split whose push time has passed
  (``WeeklySteps.push_due``), called after the weekly run and every hour;
- ``POST /internal/v1/weeks/{week}/benchmarks``: recompute the benchmarks across
  employers over the weeks before ``week`` (the embedded weekly job's last step, the
  same refresh); analytics or landing not answering is a 503 and the last cells stay.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from campaigns.benchmarks.service import BenchmarksRefresh
from campaigns.insights.analytics_client import AnalyticsUnavailable
from campaigns.leads.landing_client import LandingRefused, LandingUnavailable
from campaigns.scheduling.errors import AnalyticsDown, LandingDown, WeekRefused
from campaigns.scheduling.steps import WeeklySteps
from koers.isoweeks import week_monday

# Only documents the scheme in OpenAPI; the check is the chassis' service_token_checker.
_bearer = HTTPBearer(auto_error=False, description="The shared service token.")


def require_service_token(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Refuse the request (401) unless it carries the service token."""
    request.app.state.check_service_token(request)


def get_steps(request: Request) -> WeeklySteps:
    steps: WeeklySteps = request.app.state.weekly_steps
    return steps


def get_benchmarks_refresh(request: Request) -> BenchmarksRefresh:
    refresh: BenchmarksRefresh = request.app.state.benchmarks_refresh
    return refresh


StepsDep = Annotated[WeeklySteps, Depends(get_steps)]
RefreshDep = Annotated[BenchmarksRefresh, Depends(get_benchmarks_refresh)]
Week = Annotated[str, Path(max_length=32, examples=["2026-W48"])]

router = APIRouter(
    prefix="/internal/v1",
    tags=["scheduled jobs (internal)"],
    dependencies=[Depends(require_service_token)],
)


def _check_week(week: str) -> None:
    try:
        week_monday(week)
    except ValueError as exc:
        raise WeekRefused(str(exc)) from exc


@router.post("/weeks/{week}/autopilot")
def apply_autopilot(week: Week, steps: StepsDep) -> dict[str, Any]:
    """Apply the week's autopilot decisions within guardrails; idempotent per week."""
    _check_week(week)
    try:
        counts = steps.apply_autopilot(week)
    except AnalyticsUnavailable as exc:
        raise AnalyticsDown(f"analytics could not be asked for a proposal: {exc}") from exc
    return {
        "week": counts.week,
        "applied": counts.applied,
        "held": counts.held,
        "fetched": counts.fetched,
    }


@router.post("/push-due")
def push_due(steps: StepsDep) -> dict[str, Any]:
    """Push every decided split whose push time has passed; a pushed one is not sent again."""
    counts = steps.push_due()
    return {"pushes": counts.pushes, "by_status": counts.by_status}


@router.post("/weeks/{week}/benchmarks")
def refresh_benchmarks(week: Week, refresh: RefreshDep) -> dict[str, Any]:
    """Recompute every benchmark cell over the whole weeks before ``week``; idempotent.
    Counts only: no employer and no figure is named."""
    _check_week(week)
    try:
        summary = refresh(week)
    except AnalyticsUnavailable as exc:
        raise AnalyticsDown(
            f"analytics could not be asked for the funnels, the last cells stay: {exc}"
        ) from exc
    except (LandingUnavailable, LandingRefused) as exc:
        raise LandingDown(
            f"landing could not be asked for the contact facts, the last cells stay: {exc}"
        ) from exc
    return {
        "week": week,
        "weeks_from": summary.weeks_from,
        "weeks_to": summary.weeks_to,
        "employers": summary.employers,
        "campaigns": summary.campaigns,
        "cells_shown": summary.cells_shown,
        "cells_hidden": summary.cells_hidden,
    }
