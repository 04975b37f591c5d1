"""Dismissing a next best action from the dashboard, with a reason (audited)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from campaigns.actions.service import dismiss_action
from campaigns.catalog.deps import TenantCampaign
from campaigns.errors import InvalidInput
from campaigns.overview.deps import OverviewSourcesDep
from campaigns.tenancy.deps import ConsoleEditor
from campaigns.web.csrf import check_csrf
from campaigns.web.deps import ClockDep, EngineDep
from campaigns.web.flash import flash
from campaigns.web.forms import FormField
from campaigns.web.i18n import N_
from campaigns.web.rendering import local_path

router = APIRouter(include_in_schema=False)

_ACTION_KEY = re.compile(r"^[a-z_]+:[A-Za-z0-9_.:-]{1,150}$")


@router.post("/campaigns/{slug}/actions/dismiss", name="dismiss_action")
def dismiss(
    request: Request,
    slug: str,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    clock: ClockDep,
    sources: OverviewSourcesDep,
    csrf_token: FormField = "",
    action: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    back: Annotated[Literal["dashboard", "overview"], Form()] = "dashboard",
) -> Response:
    """Set an action aside for this campaign; the reason goes to the audit log. ``back``
    says where it was shown: the campaign's dashboard or the employer's overview."""
    check_csrf(request.session, csrf_token)
    if not _ACTION_KEY.match(action):
        raise InvalidInput(
            N_("Unknown action."), {"action": N_("an action shown on the dashboard")}
        )
    why = " ".join(reason.split())
    if not why:
        raise InvalidInput(
            N_("Say why you dismiss this action."),
            {"reason": N_("a few words, for the audit log")},
        )
    dismiss_action(engine, campaign, action, why, actor=user.actor, now=clock())
    sources.forget(user.tenant_id, "follow_up")  # the overview leaves it out at once
    flash(request, "The action is dismissed; the audit log keeps your reason.", "ok")
    if back == "overview":
        return RedirectResponse(
            local_path(request, "campaign_list") + "#employer-actions-title", 303
        )
    return RedirectResponse(
        local_path(request, "campaign_dashboard", slug=campaign.slug) + "#actions-title",
        status_code=303,
    )
