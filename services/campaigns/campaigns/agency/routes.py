"""The agency overview page: every employer of the logged-in person, each with its live
campaigns and this week's decisions that wait, and a way into each."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from campaigns.agency.overview import employer_summaries
from campaigns.decisions.domain import planned_week
from campaigns.tenancy.deps import ConsoleUser
from campaigns.tenancy.domain import may_create_employers
from campaigns.web.deps import EngineDep
from campaigns.web.rendering import local_path, render
from koers.events import utcnow

router = APIRouter(include_in_schema=False)


@router.get("/employers", name="agency_overview")
def agency_overview(request: Request, user: ConsoleUser, engine: EngineDep) -> Response:
    """Your employers: live campaigns and the week's waiting decisions of each."""
    now = utcnow()
    week = planned_week(now)
    with engine.connect() as conn:
        employers = employer_summaries(
            conn, user.memberships, active_tenant=user.tenant_id, week=week
        )
    context = {
        "employers": employers,
        "week": week,
        "now": now,
        "can_add": may_create_employers(user.memberships),
        # Another employer is opened by switching to it first (a form), then going here.
        "campaigns_path": local_path(request, "campaign_list"),
        "decisions_path": local_path(request, "decisions_week"),
    }
    return render(request, "agency.html", context, user=user)
