"""``/internal/v1``: the weekly job's steps after planning, for the Airflow DAGs.

Service token only (``Authorization: Bearer``), never a console session. Both are
idempotent and answer with counts, never names (they end up in Airflow's task logs):

- ``POST /internal/v1/weeks/{week}/autopilot``: apply autopilot for the week
  (``WeeklySteps.apply_autopilot``, which reads from analytics any proposal the broker
  has not brought yet);
- ``POST /internal/v1/push-due``: push every decided split whose push time has passed
  (``WeeklySteps.push_due``), called after the weekly run and every hour.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from campaigns.insights.analytics_client import AnalyticsUnavailable
from campaigns.scheduling.errors import AnalyticsDown, WeekRefused
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


StepsDep = Annotated[WeeklySteps, Depends(get_steps)]
Week = Annotated[str, Path(max_length=32, examples=["2026-W48"])]

router = APIRouter(
    prefix="/internal/v1",
    tags=["scheduled jobs (internal)"],
    dependencies=[Depends(require_service_token)],
)


@router.post("/weeks/{week}/autopilot")
def apply_autopilot(week: Week, steps: StepsDep) -> dict[str, Any]:
    """Apply the week's autopilot decisions within guardrails; idempotent per week."""
    try:
        week_monday(week)
    except ValueError as exc:
        raise WeekRefused(str(exc)) from exc
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
