"""The marketer's decision on a weekly allocation proposal: approve or reject it.

A decision counts once analytics has accepted it (analytics applies approved splits and
checks delivery against them); only then is it stored here (``decisions.service``), with
its audit row, so the log never claims a decision analytics does not know. Nothing
reaches an ad platform without such an approval, or the campaign's autopilot; the
decisions page (``decisions.workspace``) also edits amounts and pushes. Asking analytics
for a proposal for a week that has none yet is also here.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from campaigns.catalog.deps import TenantCampaign
from campaigns.decisions import service
from campaigns.decisions.proposals import request_proposal
from campaigns.decisions.service import DecisionRefused
from campaigns.errors import InvalidInput
from campaigns.insights.analytics_client import (
    AnalyticsRefused,
    AnalyticsUnavailable,
    Decision,
)
from campaigns.insights.deps import InsightAnalyticsDep
from campaigns.tenancy.deps import ConsoleEditor
from campaigns.web.csrf import check_csrf
from campaigns.web.deps import EngineDep
from campaigns.web.flash import FlashKind, flash
from campaigns.web.forms import FormField
from campaigns.web.i18n import gettext_for
from campaigns.web.rendering import local_path
from campaigns.web.weeks import WeekPath
from koers.events import utcnow

router = APIRouter(include_in_schema=False)

DECISIONS: dict[str, Decision] = {"approve": "approved", "reject": "rejected"}
NOTE_MAX_LENGTH = 2000


def _back(request: Request, slug: str, week: str, kind: FlashKind, message: str) -> Response:
    flash(request, message, kind)
    url = local_path(request, "campaign_dashboard", slug=slug) + "?" + urlencode({"week": week})
    return RedirectResponse(url + "#allocation", status_code=303)


@router.post("/campaigns/{slug}/allocations/{week}/decision", name="decide_allocation")
def decide_allocation(
    request: Request,
    slug: str,
    week: WeekPath,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    analytics: InsightAnalyticsDep,
    decision: FormField = "",
    note: FormField = "",
    csrf_token: FormField = "",
) -> Response:
    """Approve or reject the proposal for ``week``; recorded in analytics and the audit log."""
    check_csrf(request.session, csrf_token)
    if decision not in DECISIONS:
        raise InvalidInput("Choose approve or reject.", {"decision": "approve or reject"})
    if len(note) > NOTE_MAX_LENGTH:
        raise InvalidInput(
            f"The note is too long (at most {NOTE_MAX_LENGTH} characters).",
            {"note": f"at most {NOTE_MAX_LENGTH} characters"},
        )
    verdict = DECISIONS[decision]
    try:
        proposal = analytics.allocation(campaign.id, week)
    except AnalyticsRefused as exc:
        return _back(request, slug, week, "warning", f"Analytics refused: {exc.detail}")
    except AnalyticsUnavailable:
        return _back(request, slug, week, "warning", service.ANALYTICS_DOWN)
    if proposal is None:
        message = gettext_for(request)("There is no proposal for %(week)s to decide on.")
        return _back(request, slug, week, "warning", message % {"week": week})
    try:
        service.decide(
            engine,
            analytics,
            campaign=campaign,
            week=week,
            proposal=proposal,
            verdict=verdict,
            amounts=None,
            actor=user.actor,
            decided_by=user.email,
            now=utcnow(),
            note=note.strip(),
        )
    except DecisionRefused as exc:
        return _back(request, slug, week, "warning", exc.detail)
    _ = gettext_for(request)
    decided = _("The proposal for %(week)s is %(verdict)s.") % {"week": week, "verdict": _(verdict)}
    return _back(request, slug, week, "ok", decided)


@router.post("/campaigns/{slug}/allocations/{week}/proposal", name="request_allocation")
def request_allocation(
    request: Request,
    slug: str,
    week: WeekPath,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    analytics: InsightAnalyticsDep,
    csrf_token: FormField = "",
) -> Response:
    """Ask analytics to compute the proposal for ``week`` from the facts it has."""
    check_csrf(request.session, csrf_token)
    try:
        request_proposal(engine, analytics, campaign, week, actor=user.actor, now=utcnow())
    except AnalyticsRefused as exc:
        return _back(request, slug, week, "warning", f"Analytics refused: {exc.detail}")
    except AnalyticsUnavailable:
        return _back(
            request,
            slug,
            week,
            "warning",
            "Analytics could not propose an allocation right now (not answering, or not "
            "offered yet). Please try again later.",
        )
    proposed = gettext_for(request)("Analytics proposed an allocation for %(week)s.")
    return _back(request, slug, week, "ok", proposed % {"week": week})
