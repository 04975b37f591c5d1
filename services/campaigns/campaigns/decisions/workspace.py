"""The decisions page ("This week's decisions") and what is done from it: approve, edit
within the guardrails, reject, undo autopilot, refresh a stale proposal, push or dry-run
a decided split, download its bulk files; and each campaign's delivery settings (push
time, ad-platform ids) and the employer's Meta token.

Route handlers read the form and call :mod:`campaigns.decisions.service`; the rules live
there and in :mod:`campaigns.decisions.domain`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, time
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from campaigns.audit import repository as audit
from campaigns.catalog import repository as catalog_repo
from campaigns.catalog.deps import TenantCampaign
from campaigns.catalog.domain import Campaign
from campaigns.decisions import repository as repo
from campaigns.decisions import service
from campaigns.decisions.domain import (
    DEFAULT_TIMEZONE,
    WEEKDAYS,
    PushTime,
    parse_euros,
    planned_week,
    signed_percent,
)
from campaigns.decisions.platforms import PlatformDelivery
from campaigns.decisions.service import DecisionRefused, Delivery, GuardrailsBroken
from campaigns.decisions.views import CampaignCard, build_card
from campaigns.delivery import PlatformIds
from campaigns.delivery.domain import PLATFORM_LABELS
from campaigns.errors import ObjectNotFound
from campaigns.insights.analytics_client import (
    AllocationProposal,
    AnalyticsInsights,
    AnalyticsRefused,
    AnalyticsUnavailable,
)
from campaigns.insights.deps import FetchPoolDep, InsightAnalyticsDep
from campaigns.tenancy.deps import ConsoleEditor, ConsoleOwner, ConsoleUser, User
from campaigns.web.deps import EngineDep, SettingsDep
from campaigns.web.flash import FlashKind, flash
from campaigns.web.forms import FormDep, FormField, text
from campaigns.web.i18n import N_, gettext_for
from campaigns.web.rendering import local_path, render
from campaigns.web.weeks import WeekPath, WeekQuery
from koers.db import transaction
from koers.events import utcnow

router = APIRouter(include_in_schema=False)

PLATFORM_IDS_MAX = 64
_UNKNOWN_PROPOSAL = N_("There is no proposal for %(week)s to decide on.")


def _delivery(request: Request) -> Delivery:
    delivery: Delivery = request.app.state.delivery
    return delivery


def _platform_delivery(request: Request) -> PlatformDelivery:
    platforms: PlatformDelivery = request.app.state.platform_delivery
    return platforms


def _back(request: Request, week: str, kind: FlashKind, message: str, slug: str = "") -> Response:
    flash(request, message, kind)
    url = local_path(request, "decisions_week") + "?" + urlencode({"week": week})
    return RedirectResponse(url + (f"#c-{slug}" if slug else ""), status_code=303)


# --- reading the proposals -----------------------------------------------------------------


def _proposals(
    pool: ThreadPoolExecutor,
    analytics: AnalyticsInsights,
    engine: Engine,
    campaigns: Sequence[Campaign],
    week: str,
    timeout_s: float,
) -> dict[str, tuple[AllocationProposal | None, Literal["analytics", "event", "none"]]]:
    """Each campaign's proposal: analytics' live answer (all asked at once), else the copy
    analytics announced by event."""
    futures = {c.id: pool.submit(analytics.allocation, c.id, week) for c in campaigns}
    found: dict[str, tuple[AllocationProposal | None, Literal["analytics", "event", "none"]]] = {}
    with engine.connect() as conn:
        for campaign_id, future in futures.items():
            try:
                live = future.result(timeout=timeout_s)
            except (AnalyticsUnavailable, FutureTimeout):
                live = None
            if live is not None:
                found[campaign_id] = (live, "analytics")
                continue
            stored = service.stored_proposal(conn, campaign_id, week)
            found[campaign_id] = (stored, "event") if stored else (None, "none")
    return found


def _proposal_of(
    analytics: AnalyticsInsights, engine: Engine, campaign: Campaign, week: str
) -> AllocationProposal | None:
    try:
        live = analytics.allocation(campaign.id, week)
    except AnalyticsUnavailable:
        live = None
    if live is not None:
        return live
    with engine.connect() as conn:
        return service.stored_proposal(conn, campaign.id, week)


def _cards(
    engine: Engine,
    campaigns: Sequence[Campaign],
    proposals: Mapping[
        str, tuple[AllocationProposal | None, Literal["analytics", "event", "none"]]
    ],
    week: str,
    now: datetime,
    *,
    errors: Mapping[str, Sequence[str]] | None = None,
    edits: Mapping[str, Mapping[str, str]] | None = None,
) -> list[CampaignCard]:
    cards = []
    with engine.connect() as conn:
        decisions = repo.decisions_of_week(conn, campaigns[0].tenant_id, week) if campaigns else {}
        for campaign in campaigns:
            proposal, source = proposals.get(campaign.id, (None, "none"))
            variants = catalog_repo.variants_of(conn, campaign.id)
            ids = (
                list(proposal.allocation)
                if proposal
                else [v.variant_id for v in variants if v.live and not v.archived]
            )
            current, estimate = service.current_amounts(conn, campaign, week, ids)
            breaches = (
                service.check_amounts(
                    conn,
                    campaign,
                    week,
                    service.proposal_cents(proposal),
                    variants,
                    proposal.max_change_exempt,
                )
                if proposal
                else []
            )
            key = service.idempotency_key(campaign.tenant_id, campaign.id, week)
            cards.append(
                build_card(
                    campaign=campaign,
                    week=week,
                    variants=variants,
                    proposal=proposal,
                    proposal_source=source,
                    decision=decisions.get(campaign.id),
                    current=current,
                    current_is_estimate=estimate,
                    push_time=repo.push_time_of(conn, campaign.id),
                    now=now,
                    proposal_breaches=breaches,
                    pushes=repo.pushes_of(conn, key),
                    files=repo.files_of(conn, campaign.id, week),
                    errors=(errors or {}).get(campaign.id, ()),
                    edits=(edits or {}).get(campaign.id, {}),
                )
            )
    return cards


def _workspace(
    request: Request,
    user: User,
    engine: Engine,
    analytics: AnalyticsInsights,
    pool: ThreadPoolExecutor,
    timeout_s: float,
    week: str,
    *,
    errors: Mapping[str, Sequence[str]] | None = None,
    edits: Mapping[str, Mapping[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    now = utcnow()
    with engine.connect() as conn:
        campaigns = catalog_repo.campaigns_of_tenant(conn, user.tenant_id, status="live")
    proposals = _proposals(pool, analytics, engine, campaigns, week, timeout_s)
    cards = _cards(engine, campaigns, proposals, week, now, errors=errors, edits=edits)
    order = {"held": 0, "waiting": 1, "autopilot": 2, "approved": 3, "rejected": 4}
    cards.sort(key=lambda c: (order.get(c.state, 5), c.push_at, c.campaign.name))
    context = {
        "week": week,
        "planned": planned_week(now),
        "cards": [c for c in cards if c.state != "no_proposal"],
        "without_proposal": [c for c in cards if c.state == "no_proposal"],
        "waiting": sum(1 for c in cards if c.waits),
        "can_decide": user.can("edit_campaigns"),
        "weekdays": WEEKDAYS,
        "pct": signed_percent,
    }
    return render(request, "decisions.html", context, user=user, status_code=status_code)


@router.get("/decisions", name="decisions_week")
def decisions_week(
    request: Request,
    user: ConsoleUser,
    engine: EngineDep,
    analytics: InsightAnalyticsDep,
    pool: FetchPoolDep,
    settings: SettingsDep,
    week: WeekQuery = None,
) -> Response:
    """This week's decisions: every live campaign's proposal for the planned week."""
    return _workspace(
        request,
        user,
        engine,
        analytics,
        pool,
        settings.analytics_timeout_s,
        week or planned_week(utcnow()),
    )


# --- deciding ------------------------------------------------------------------------------


def _typed_amounts(
    form: Mapping[str, Any], proposal: AllocationProposal, names: Mapping[str, str]
) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """The amounts typed per creative (the proposal's where left empty), the raw texts,
    and a message per amount that cannot be read."""
    amounts: dict[str, int] = {}
    raw: dict[str, str] = {}
    problems: list[str] = []
    for variant_id in proposal.allocation:
        typed = text(form, f"amount-{variant_id}")
        raw[variant_id] = typed
        if not typed:
            amounts[variant_id] = service.proposal_cents(proposal)[variant_id]
            continue
        cents = parse_euros(typed)
        if cents is None:
            problems.append(
                f"{names.get(variant_id, variant_id)}: “{typed}” is not an amount in euros."
            )
        else:
            amounts[variant_id] = cents
    return amounts, raw, problems


@router.post("/decisions/{slug}/{week}", name="decide_week")
def decide_week(
    request: Request,
    slug: str,
    week: WeekPath,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    analytics: InsightAnalyticsDep,
    pool: FetchPoolDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Approve (as proposed or edited, within the guardrails) or reject the week's split."""
    action = text(form, "action")
    note = text(form, "note")[:2000]
    if action not in ("approve", "reject"):
        return _back(request, week, "warning", N_("Choose approve or reject."), slug)
    proposal = _proposal_of(analytics, engine, campaign, week)
    if proposal is None:
        return _back(
            request, week, "warning", gettext_for(request)(_UNKNOWN_PROPOSAL) % {"week": week}, slug
        )
    now = utcnow()
    with engine.connect() as conn:
        variants = catalog_repo.variants_of(conn, campaign.id)
    names = {v.variant_id: v.name for v in variants}
    amounts, raw, problems = _typed_amounts(form, proposal, names)
    edited = action == "approve" and amounts != service.proposal_cents(proposal)
    if not problems and edited:
        with engine.connect() as conn:
            problems = [
                b.message
                for b in service.check_amounts(
                    conn, campaign, week, amounts, variants, proposal.max_change_exempt
                )
            ]
    if problems:
        return _workspace(
            request,
            user,
            engine,
            analytics,
            pool,
            settings.analytics_timeout_s,
            week,
            errors={campaign.id: ["Not approved: " + problems[0], *problems[1:]]},
            edits={campaign.id: raw},
            status_code=422,
        )
    try:
        service.decide(
            engine,
            analytics,
            campaign=campaign,
            week=week,
            proposal=proposal,
            verdict="approved" if action == "approve" else "rejected",
            amounts=amounts if action == "approve" else None,
            actor=user.actor,
            decided_by=user.email,
            now=now,
            note=note,
        )
    except GuardrailsBroken as exc:
        return _back(request, week, "error", str(exc), slug)
    except DecisionRefused as exc:
        return _back(request, week, "warning", exc.detail, slug)
    verdict = (
        "approved" + (" with your amounts" if edited else "")
        if action == "approve"
        else ("rejected")
    )
    return _back(
        request, week, "ok", f"The split of “{campaign.name}” for {week} is {verdict}.", slug
    )


@router.post("/decisions/{slug}/{week}/undo", name="undo_autopilot")
def undo_autopilot(
    request: Request,
    slug: str,
    week: WeekPath,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    csrf_token: FormField = "",
) -> Response:
    """Take autopilot's decision back before the push time; the split waits for a person."""
    try:
        with transaction(engine) as conn:
            service.undo_autopilot(
                conn, campaign=campaign, week=week, actor=user.actor, now=utcnow()
            )
    except DecisionRefused as exc:
        return _back(request, week, "warning", exc.detail, slug)
    return _back(
        request,
        week,
        "ok",
        f"Autopilot's decision on “{campaign.name}” is undone; it waits for your approval.",
        slug,
    )


@router.post("/decisions/{slug}/{week}/refresh", name="refresh_proposal")
def refresh_proposal(
    request: Request,
    slug: str,
    week: WeekPath,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    analytics: InsightAnalyticsDep,
    csrf_token: FormField = "",
) -> Response:
    """Ask analytics for the week's proposal again, from today's budget, caps and facts."""
    try:
        proposal = analytics.propose_allocation(campaign.id, week)
    except AnalyticsRefused as exc:
        return _back(request, week, "warning", f"Analytics refused: {exc.detail}", slug)
    except AnalyticsUnavailable:
        return _back(
            request,
            week,
            "warning",
            "Analytics could not propose a split right now. Please try again later.",
            slug,
        )
    now = utcnow()
    with transaction(engine) as conn:
        held = repo.decision_for(conn, campaign.id, week)
        if held is not None and held.status == "held":
            repo.delete_decision(conn, campaign.id, week)  # a new proposal, a new decision
        service.record_proposal_arrived(
            conn, campaign, week, proposal.model_dump(mode="json"), now, actor=user.actor
        )
    return _back(
        request,
        week,
        "ok",
        f"Analytics proposed a split of “{campaign.name}” for {week}"
        + (f" (version {proposal.version})." if proposal.version else "."),
        slug,
    )


# --- pushing and files ---------------------------------------------------------------------


@router.post("/decisions/{slug}/{week}/push", name="push_week")
def push_week(
    request: Request,
    slug: str,
    week: WeekPath,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    form: FormDep,
) -> Response:
    """Push the decided split now (or show what a push would send: the dry run)."""
    dry = text(form, "mode") == "dry_run"
    try:
        with transaction(engine) as conn:
            pushes = service.push_campaign(
                conn,
                campaign=campaign,
                week=week,
                delivery=_delivery(request),
                actor=user.actor,
                now=utcnow(),
                dry=dry,
            )
    except DecisionRefused as exc:
        return _back(request, week, "warning", exc.detail, slug)
    if not pushes:
        return _back(
            request, week, "ok", N_("Everything was already sent; nothing was pushed again."), slug
        )
    _ = gettext_for(request)
    described = "; ".join(f"{p.adapter}: {_(p.status.replace('_', ' '))}" for p in pushes)
    done = (
        _("Dry run of “%(name)s” for %(week)s: %(outcome)s.")
        if dry
        else _("Push of “%(name)s” for %(week)s: %(outcome)s.")
    )
    kind: FlashKind = "ok" if all(p.status in ("sent", "dry_run") for p in pushes) else "warning"
    message = done % {"name": campaign.name, "week": week, "outcome": described}
    return _back(request, week, kind, message, slug)


@router.get("/campaigns/{slug}/bulk-files/{week}/{platform}", name="bulk_file")
def bulk_file(
    slug: str,
    week: WeekPath,
    platform: str,
    user: ConsoleUser,
    campaign: TenantCampaign,
    engine: EngineDep,
) -> Response:
    """A pushed week's bulk file for one platform's bulk tool (CSV)."""
    with engine.connect() as conn:
        files = [f for f in repo.files_of(conn, campaign.id, week) if f.platform == platform]
    if not files:
        raise ObjectNotFound(f"no {platform} bulk file for {week}")
    found = files[0]
    return Response(
        found.content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )


@router.post("/decisions/run", name="run_decision_jobs")
def run_decision_jobs(
    request: Request,
    user: ConsoleEditor,
    engine: EngineDep,
    form: FormDep,
) -> Response:
    """Run autopilot for the planned week, then push what is due, for this employer."""
    now = utcnow()
    week = text(form, "week") or planned_week(now)
    with transaction(engine) as conn:
        outcomes = service.apply_autopilot(conn, user.tenant_id, week, now)
        pushes = service.push_due(conn, now, delivery=_delivery(request), tenant_id=user.tenant_id)
    applied = sum(1 for o in outcomes if o.verdict == "applied")
    held = len(outcomes) - applied
    return _back(
        request,
        week,
        "ok",
        f"Autopilot applied {applied} split(s) and held {held} for approval; "
        f"{len(pushes)} push(es) went out.",
    )


# --- delivery settings of a campaign -------------------------------------------------------


@router.get("/campaigns/{slug}/delivery", name="campaign_delivery")
def campaign_delivery(
    request: Request, slug: str, user: ConsoleUser, campaign: TenantCampaign, engine: EngineDep
) -> Response:
    """The campaign's push time, its creatives' ad-platform ids and its bulk files."""
    with engine.connect() as conn:
        context = {
            "campaign": campaign,
            "variants": catalog_repo.variants_of(conn, campaign.id),
            "ids": repo.platform_ids_of(conn, campaign.id),
            "push_time": repo.push_time_of(conn, campaign.id),
            "files": repo.files_of(conn, campaign.id),
            "weekdays": WEEKDAYS,
            "can_edit": user.can("edit_campaigns"),
            "labels": PLATFORM_LABELS,
        }
    return render(request, "campaign_delivery.html", context, user=user)


def _id(form: Mapping[str, Any], name: str) -> str | None:
    value = text(form, name)[:PLATFORM_IDS_MAX]
    return value or None


@router.post("/campaigns/{slug}/delivery", name="save_campaign_delivery")
def save_campaign_delivery(
    request: Request,
    slug: str,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    form: FormDep,
) -> Response:
    """Save the push time and the creatives' ad-platform ids."""
    try:
        at = time.fromisoformat(text(form, "push_time") or "09:00")
        push_time = PushTime(int(text(form, "push_weekday") or 0), at, DEFAULT_TIMEZONE)
    except ValueError:
        flash(request, "Enter the push time as a weekday and a time like 09:00.", "error")
        return RedirectResponse(
            local_path(request, "campaign_delivery", slug=slug), status_code=303
        )
    now = utcnow()
    with transaction(engine) as conn:
        before = repo.push_time_of(conn, campaign.id)
        repo.save_push_time(conn, campaign.id, push_time)
        variants = catalog_repo.variants_of(conn, campaign.id)
        old_ids = repo.platform_ids_of(conn, campaign.id)
        changed: dict[str, str] = {}
        for variant in variants:
            key = variant.variant_id
            ids = PlatformIds(
                campaign_id=_id(form, f"campaign_id-{key}"),
                ad_set_id=_id(form, f"ad_set_id-{key}"),
                ad_id=_id(form, f"ad_id-{key}"),
                campaign_name=_id(form, f"campaign_name-{key}"),
            )
            if ids != old_ids.get(key, PlatformIds()):
                repo.save_platform_ids(conn, campaign.id, key, ids)
                changed[variant.name] = (
                    ", ".join(
                        f"{label} {value}"
                        for label, value in (
                            ("campaign", ids.campaign_id),
                            ("ad set", ids.ad_set_id),
                            ("ad", ids.ad_id),
                        )
                        if value
                    )
                    or "none"
                )
        audit.record(
            conn,
            tenant_id=campaign.tenant_id,
            actor=user.actor,
            action="delivery_settings_changed",
            object_type="campaign",
            object_id=campaign.id,
            before={
                "campaign": campaign.name,
                "push time": f"{WEEKDAYS[before.weekday]} {before.at:%H:%M}",
            },
            after={
                "campaign": campaign.name,
                "push time": f"{WEEKDAYS[push_time.weekday]} {push_time.at:%H:%M}",
                "platform ids": changed,
            },
            at=now,
        )
    flash(request, "Delivery settings of “%(name)s” saved.", name=campaign.name)
    return RedirectResponse(local_path(request, "campaign_delivery", slug=slug), status_code=303)


# --- the employer's ad-platform tokens -----------------------------------------------------


@router.get("/settings/ad-platforms", name="ad_platform_settings")
def ad_platform_settings(request: Request, user: ConsoleOwner, engine: EngineDep) -> Response:
    """The employer's Meta token, shown masked only."""
    platforms = _platform_delivery(request)
    with engine.connect() as conn:
        masked = platforms.masked_token(conn, user.tenant_id)
    context = {"masked": masked, "can_store": platforms.can_store_tokens}
    return render(request, "ad_platform_settings.html", context, user=user)


@router.post("/settings/ad-platforms", name="save_ad_platform_settings")
def save_ad_platform_settings(
    request: Request, user: ConsoleOwner, engine: EngineDep, form: FormDep
) -> Response:
    """Store (encrypted) or remove the employer's Meta access token."""
    platforms = _platform_delivery(request)
    back = RedirectResponse(local_path(request, "ad_platform_settings"), status_code=303)
    token = text(form, "meta_token")
    remove = text(form, "action") == "remove"
    if not platforms.can_store_tokens:
        flash(request, "Tokens cannot be stored: KOERS_CAMPAIGNS_DELIVERY_KEY is not set.", "error")
        return back
    if not token and not remove:
        flash(request, "Paste a Meta access token to store.", "warning")
        return back
    now = utcnow()
    with transaction(engine) as conn:
        store = repo.SqlCredentialStore(conn, now=now)
        before = store.masked(user.tenant_id, "meta")
        if remove:
            store.delete(user.tenant_id, "meta")
            masked = None
        else:
            masked = platforms.credentials(conn, now).set(user.tenant_id, "meta", token)
        audit.record(
            conn,
            tenant_id=user.tenant_id,
            actor=user.actor,
            action="ad_platform_token_removed" if remove else "ad_platform_token_stored",
            object_type="tenant",
            object_id=user.tenant_id,
            before={"Meta token": before},
            after={"Meta token": masked},
            at=now,
        )
    flash(request, "The Meta token is removed." if remove else f"Meta token {masked} stored.")
    return back
