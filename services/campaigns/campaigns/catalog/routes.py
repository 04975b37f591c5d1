"""Console pages for campaigns, their creatives and the landing page builder."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import iter_route_contexts
from markupsafe import escape
from starlette.datastructures import FormData

from campaigns.audit import repository as audit
from campaigns.audit.names import object_names
from campaigns.catalog import audience, forms, service
from campaigns.catalog import repository as repo
from campaigns.catalog.deps import PagePreviewsDep, TenantCampaign
from campaigns.catalog.domain import (
    CAMPAIGN_STATUSES,
    TRANSITIONS,
    Campaign,
    Variant,
    complete_page,
    page_changes,
    page_content,
    page_problems,
    publication_fingerprint,
)
from campaigns.catalog.inputs import (
    CampaignInput,
    CreativeInput,
    NewCampaignInput,
    NewCreativeInput,
    PageInput,
)
from campaigns.catalog.page_preview import PreviewUnavailable, frame_policy, framed
from campaigns.errors import CampaignNotPublishable, CampaignsError, TransitionRefused
from campaigns.insights.analytics_client import AnalyticsUnavailable
from campaigns.insights.deps import AnalyticsDep, FetchPoolDep, InsightAnalyticsDep
from campaigns.insights.domain import FunnelRow, funnel_rows
from campaigns.leads import repository as followup_repo
from campaigns.leads.deps import LandingDep
from campaigns.leads.domain import CHANNEL_NAMES
from campaigns.leads.speed import hours_phrase
from campaigns.overview.deps import OverviewSourcesDep
from campaigns.overview.service import employer_follow_up
from campaigns.spend import repository as spend_repo
from campaigns.spend.domain import spend_per_week
from campaigns.tenancy import repository as tenancy_repo
from campaigns.tenancy.deps import ConsoleEditor, ConsoleUser, User
from campaigns.web.deps import ClockDep, EngineDep, SettingsDep
from campaigns.web.flash import flash
from campaigns.web.forms import FieldErrors, FormDep, checked, submit_form, text
from campaigns.web.i18n import N_, gettext_for
from campaigns.web.pager import PageNumber, Pager
from campaigns.web.rendering import redirect, render
from koers.db import transaction
from koers.events import PageSnapshot, utcnow

router = APIRouter(include_in_schema=False)

StatusFilter = Annotated[Literal["draft", "live", "paused", "ended"] | None, Query()]
SearchText = Annotated[str, Query(max_length=100)]


TRANSITION_LABELS = {
    "live": N_("Go live"),
    "paused": N_("Pause"),
    "ended": N_("End campaign"),
}


def choices() -> dict[str, Any]:
    return {
        "channels": forms.CHANNELS,
        "formats": forms.FORMATS,
        "goals": forms.GOALS,
        "entry_point_choices": forms.ENTRY_POINTS,
        "contact_channel_choices": forms.CONTACT_CHANNELS,
        "audience_labels": audience.AUDIENCE_LABELS,
        "region_labels": audience.REGION_LABELS,
        "target_channel_labels": audience.CHANNEL_LABELS,
    }


# --- campaign list and detail --------------------------------------------------------


@router.get("/", name="campaign_list")
def campaign_list(
    request: Request,
    user: ConsoleUser,
    engine: EngineDep,
    settings: SettingsDep,
    analytics: InsightAnalyticsDep,
    landing: LandingDep,
    pool: FetchPoolDep,
    clock: ClockDep,
    sources: OverviewSourcesDep,
    page: PageNumber = 1,
    status: StatusFilter = None,
    q: SearchText = "",
) -> Response:
    """The campaigns of the active employer, newest first, filtered and paginated; above
    them (unfiltered, first page) the employer's next best actions across its live
    campaigns and its speed to lead."""
    with engine.connect() as conn:
        total = repo.count_campaigns(conn, user.tenant_id, status=status, search=q.strip())
        pager = Pager.clamped(page, total)
        campaigns = repo.campaigns_of_tenant(
            conn,
            user.tenant_id,
            status=status,
            search=q.strip(),
            limit=pager.per_page,
            offset=pager.offset,
        )
    query = {k: v for k, v in {"status": status or "", "q": q}.items() if v}
    context = {
        "campaigns": campaigns,
        "pager": pager,
        "status": status or "",
        "q": q,
        "statuses": CAMPAIGN_STATUSES,
        "query_prefix": urlencode(query) + "&" if query else "",
        "filtered": bool(query),
        "overview": None,
    }
    if not query and pager.page == 1:
        with engine.connect() as conn:
            contact_settings = followup_repo.settings_of(conn, user.tenant_id)
            members = {m.user_id: m.email for m in tenancy_repo.members_of(conn, user.tenant_id)}
        context |= {
            "overview": employer_follow_up(
                engine,
                tenant_id=user.tenant_id,
                analytics=analytics,
                landing=landing,
                pool=pool,
                now=clock(),
                timeout_s=settings.analytics_timeout_s + 1.0,
                sources=sources,
            ),
            "contact_settings": contact_settings,
            "recruiters": members,
            "hours": hours_phrase,
            "channel_labels": CHANNEL_NAMES,
            "can_decide": user.can("edit_campaigns"),
        }
    return render(request, "campaigns.html", context, user=user)


@router.get("/campaigns", name="campaign_list_alias")
def campaign_list_alias(request: Request) -> Response:
    """The list lives at the console's root; a typed or bookmarked /campaigns lands there
    (with its filters) instead of on a bare 405."""
    response = redirect(request, "campaign_list")
    if request.url.query:
        response.headers["location"] += f"?{request.url.query}"
    return response


@router.get("/campaigns/new", name="campaign_new")
def campaign_new(request: Request, user: ConsoleEditor) -> Response:
    """The form for a new campaign."""
    context = {"campaign": None, "values": forms.campaign_form_values(None), **choices()}
    return render(request, "campaign_form.html", context, user=user)


FunnelState = Literal["ready", "no_data", "unavailable"]


@router.get("/campaigns/{slug}", name="campaign_detail")
def campaign_detail(
    request: Request,
    slug: str,
    user: ConsoleUser,
    campaign: TenantCampaign,
    engine: EngineDep,
    settings: SettingsDep,
    analytics: AnalyticsDep,
) -> Response:
    """One campaign: its status, creatives, landing links, weekly spend and funnel."""
    with engine.connect() as conn:
        variants = repo.variants_of(conn, campaign.id)
        spend_days = spend_repo.spend_days_of(conn, campaign.id)
    landing_base = settings.landing_url.rstrip("/")
    links = {
        v.variant_id: f"{landing_base}/j/{campaign.slug}?{urlencode({'v': v.variant_id})}"
        for v in variants
    }
    rows: list[FunnelRow] = []
    state: FunnelState
    try:
        funnel = analytics.campaign_funnel(campaign.id)
    except AnalyticsUnavailable:
        state = "unavailable"
    else:
        state = "no_data" if funnel is None else "ready"
        if funnel is not None:
            rows = funnel_rows(funnel, variants)
    context = {
        "campaign": campaign,
        "variants": variants,
        "links": links,
        "spend_weeks": spend_per_week(spend_days, [v.variant_id for v in variants]),
        "funnel_state": state,
        "funnel_rows": rows,
        "transitions": [
            (
                target,
                TRANSITION_LABELS[target]
                if campaign.status != "paused" or target != "live"
                else N_("Resume"),
            )
            for target in ("live", "paused", "ended")
            if target in TRANSITIONS[campaign.status]
        ],
        "page_problems": page_problems(campaign.page),
        "related": related_pages(request, campaign.slug),
        "audience": [
            (title, [labels.get(code, code) for code in getattr(campaign, field)])
            for title, (field, labels) in zip(
                ("For", "Where", "Channels"), audience.GROUPINGS.values(), strict=True
            )
            if getattr(campaign, field)
        ],
    }
    return render(request, "campaign.html", context, user=user)


def related_pages(request: Request, slug: str) -> list[tuple[str, str]]:
    """Links to the other campaign pages (dashboard, leads, spend import...) that exist.

    Other modules add such pages; this finds every plain GET page under the campaign
    that takes no other parameter, so a new one shows up here without touching this.
    """
    mine = {
        "campaign_detail",
        "campaign_edit",
        "creative_new",
        "page_builder",
        "page_preview",
        "page_preview_frame",
        "page_publish_review",
        "campaign_history",
    }
    found: list[tuple[str, str]] = []
    for route in iter_route_contexts(request.app.routes):
        path = route.path or ""
        name = route.name or ""
        if (
            "GET" in (route.methods or set())
            and path.startswith("/campaigns/{slug}/")
            and path.count("{") == 1
            and name not in mine
        ):
            words = [w for w in name.split("_") if w not in {"campaign", "form", "console"}]
            label = " ".join(words).capitalize() or name
            found.append((label, str(request.url_for(name, slug=slug))))
    return found


# --- create and edit -----------------------------------------------------------------


@router.post("/campaigns", name="campaign_create")
def campaign_create(
    request: Request, user: ConsoleEditor, engine: EngineDep, form: FormDep
) -> Response:
    """Create a draft campaign; on errors the form comes back with messages per field."""
    data = forms.campaign_data(form)
    data.setdefault("slug", None)

    def create() -> Campaign:
        new = NewCampaignInput.model_validate(data)
        with transaction(engine) as conn:
            return service.open_campaign(
                conn,
                tenant_id=user.tenant_id,
                data=new,
                employer_name=user.tenant_name,
                actor=user.actor,
                now=utcnow(),
            )

    campaign = submit_form(
        create, lambda errors: _campaign_form_again(request, user, None, form, errors)
    )
    if isinstance(campaign, Response):
        return campaign
    flash(
        request,
        "Campaign “%(name)s” created. Add creatives and build its page.",
        name=campaign.name,
    )
    return redirect(request, "campaign_detail", slug=campaign.slug)


def _campaign_form_again(
    request: Request,
    user: User,
    campaign: Campaign | None,
    form: FormData,
    errors: FieldErrors,
) -> Response:
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values["autopilot"] = checked(form, "autopilot")
    context = {
        "campaign": campaign,
        "values": values,
        "errors": forms.campaign_form_errors(errors),
        **choices(),
    }
    return render(request, "campaign_form.html", context, user=user, status_code=422)


@router.get("/campaigns/{slug}/edit", name="campaign_edit")
def campaign_edit(
    request: Request, slug: str, user: ConsoleEditor, campaign: TenantCampaign, engine: EngineDep
) -> Response:
    """The form to change a campaign's vacancy, audience, goal, dates, budget, guardrails."""
    context = {"campaign": campaign, "values": forms.campaign_form_values(campaign), **choices()}
    return render(request, "campaign_form.html", context, user=user)


@router.post("/campaigns/{slug}", name="campaign_update")
def campaign_update(
    request: Request,
    slug: str,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    form: FormDep,
) -> Response:
    """Save a campaign's fields (a live campaign re-announces its budget and guardrails)."""
    data = forms.campaign_data(form)
    data.pop("slug", None)

    def update() -> None:
        validated = CampaignInput.model_validate(data)
        with transaction(engine) as conn:
            service.update_campaign(
                conn, campaign=campaign, data=validated, actor=user.actor, now=utcnow()
            )

    refused = submit_form(
        update, lambda errors: _campaign_form_again(request, user, campaign, form, errors)
    )
    if refused is not None:
        return refused
    flash(request, "Campaign saved.")
    return redirect(request, "campaign_detail", slug=slug)


@router.post("/campaigns/{slug}/status", name="campaign_transition")
def campaign_transition(
    request: Request,
    slug: str,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    form: FormDep,
) -> Response:
    """Go live, pause, resume or end a campaign."""
    target = text(form, "to")
    try:
        with transaction(engine) as conn:
            changed = service.transition(
                conn,
                campaign=campaign,
                to=target,
                reason=text(form, "reason")[:500],
                actor=user.actor,
                now=utcnow(),
            )
    except (TransitionRefused, CampaignNotPublishable) as exc:
        return _refused(request, exc)
    flash(request, "The campaign is now %(status)s.", status=gettext_for(request)(changed.status))
    return redirect(request, "campaign_detail", slug=slug)


@router.get("/campaigns/{slug}/history", name="campaign_history")
def campaign_history(
    request: Request,
    slug: str,
    user: ConsoleUser,
    campaign: TenantCampaign,
    engine: EngineDep,
    page: PageNumber = 1,
) -> Response:
    """Who changed what in this campaign and its creatives, newest first."""
    with engine.connect() as conn:
        ids = (
            campaign.id,
            *(f"{campaign.id}:{v.variant_id}" for v in repo.variants_of(conn, campaign.id)),
        )
        total = audit.count_for(conn, user.tenant_id, ids)
        pager = Pager.clamped(page, total)
        entries = audit.entries(
            conn, user.tenant_id, object_ids=ids, limit=pager.per_page, offset=pager.offset
        )
        names = object_names(conn, user.tenant_id, entries)
    context = {"campaign": campaign, "entries": entries, "names": names, "pager": pager}
    return render(request, "history.html", context, user=user)


# --- creatives -----------------------------------------------------------------------


@router.get("/campaigns/{slug}/creatives/new", name="creative_new")
def creative_new(
    request: Request, slug: str, user: ConsoleEditor, campaign: TenantCampaign, engine: EngineDep
) -> Response:
    """The form for a new creative."""
    context = {
        "campaign": campaign,
        "variant": None,
        "values": forms.creative_form_values(None),
        **choices(),
    }
    return render(request, "creative_form.html", context, user=user)


@router.post("/campaigns/{slug}/creatives", name="creative_create")
def creative_create(
    request: Request,
    slug: str,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    form: FormDep,
) -> Response:
    """Add a creative (also while the campaign runs)."""

    def add() -> Variant:
        data = NewCreativeInput.model_validate(forms.creative_data(form, new=True))
        with transaction(engine) as conn:
            return service.add_creative(
                conn, campaign=campaign, data=data, actor=user.actor, now=utcnow()
            )

    try:
        variant = submit_form(
            add, lambda errors: _creative_form_again(request, user, campaign, None, form, errors)
        )
    except TransitionRefused as exc:
        return _refused(request, exc)
    if isinstance(variant, Response):
        return variant
    flash(request, "Creative “%(name)s” added.", name=variant.name)
    return redirect(request, "campaign_detail", slug=slug)


def _creative_form_again(
    request: Request,
    user: User,
    campaign: Campaign,
    variant: Variant | None,
    form: FormData,
    errors: FieldErrors,
) -> Response:
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values["employee_generated"] = checked(form, "employee_generated")
    mapped = {k.split(".")[0]: v for k, v in errors.items()}
    context = {
        "campaign": campaign,
        "variant": variant,
        "values": values,
        "errors": mapped,
        **choices(),
    }
    return render(request, "creative_form.html", context, user=user, status_code=422)


@router.get("/campaigns/{slug}/creatives/{variant_id}/edit", name="creative_edit")
def creative_edit(
    request: Request,
    slug: str,
    variant_id: str,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
) -> Response:
    """The form to change a creative."""
    with engine.connect() as conn:
        variant = service.get_creative(conn, campaign, variant_id)
    context = {
        "campaign": campaign,
        "variant": variant,
        "values": forms.creative_form_values(variant),
        **choices(),
    }
    return render(request, "creative_form.html", context, user=user)


@router.post("/campaigns/{slug}/creatives/{variant_id}", name="creative_update")
def creative_update(
    request: Request,
    slug: str,
    variant_id: str,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    form: FormDep,
) -> Response:
    """Save a creative."""
    with engine.connect() as conn:
        variant = service.get_creative(conn, campaign, variant_id)

    def update() -> None:
        data = CreativeInput.model_validate(forms.creative_data(form, new=False))
        with transaction(engine) as conn:
            service.update_creative(
                conn,
                campaign=campaign,
                variant_id=variant_id,
                data=data,
                actor=user.actor,
                now=utcnow(),
            )

    try:
        refused = submit_form(
            update,
            lambda errors: _creative_form_again(request, user, campaign, variant, form, errors),
        )
    except TransitionRefused as exc:
        return _refused(request, exc)
    if refused is not None:
        return refused
    flash(request, "Creative saved.")
    return redirect(request, "campaign_detail", slug=slug)


@router.post("/campaigns/{slug}/creatives/{variant_id}/status", name="creative_status")
def creative_status(
    request: Request,
    slug: str,
    variant_id: str,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    form: FormDep,
) -> Response:
    """Pause, resume or archive a creative."""
    action = text(form, "action")
    try:
        with transaction(engine) as conn:
            changed = service.creative_action(
                conn,
                campaign=campaign,
                variant_id=variant_id,
                action=action,
                actor=user.actor,
                now=utcnow(),
            )
    except TransitionRefused as exc:
        return _refused(request, exc)
    flash(
        request,
        "Creative “%(name)s” is now %(status)s.",
        name=changed.name,
        status=gettext_for(request)(changed.status),
    )
    return redirect(request, "campaign_detail", slug=slug)


# --- the landing page builder --------------------------------------------------------


@router.get("/campaigns/{slug}/page", name="page_builder")
def page_builder(
    request: Request, slug: str, user: ConsoleEditor, campaign: TenantCampaign, engine: EngineDep
) -> Response:
    """The landing page builder: texts, branding, entry points, quiz, form options."""
    with engine.connect() as conn:
        versions = repo.page_versions_of(conn, campaign.id)
    live = versions[0].snapshot if versions and campaign.page_published else None
    context = {
        "page": forms.page_form_values(campaign.page),
        "problems": page_problems(campaign.page),
        "versions": versions[:10],
        "pending": None if live is None else len(page_changes(live, campaign.page)),
    }
    return _page_builder_page(request, user, campaign, context)


def _page_builder_page(
    request: Request,
    user: User,
    campaign: Campaign,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> Response:
    full = {"campaign": campaign, "versions": [], "problems": [], "pending": None, **context}
    return render(request, "page_builder.html", full, user=user, status_code=status_code)


@router.post("/campaigns/{slug}/page", name="page_save")
def page_save(
    request: Request,
    slug: str,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    form: FormDep,
) -> Response:
    """Save the page draft (candidates see nothing until it is published)."""
    raw = forms.page_data(form)

    def save() -> None:
        data = PageInput.model_validate(raw)
        with transaction(engine) as conn:
            service.save_page(conn, campaign=campaign, data=data, actor=user.actor, now=utcnow())

    def again(errors: FieldErrors) -> Response:
        context = {"page": forms.page_form_values(raw), "errors": forms.page_form_errors(errors)}
        return _page_builder_page(request, user, campaign, context, status_code=422)

    try:
        refused = submit_form(save, again)
    except TransitionRefused as exc:
        return _refused(request, exc)
    if refused is not None:
        return refused
    flash(request, "Page draft saved. Preview it, then publish when it is ready.")
    if text(form, "then") == "preview":
        return redirect(request, "page_preview", slug=slug)
    return redirect(request, "page_builder", slug=slug)


@router.post("/campaigns/{slug}/page/revert", name="page_revert")
def page_revert(
    request: Request, slug: str, user: ConsoleEditor, campaign: TenantCampaign, engine: EngineDep
) -> Response:
    """Make the draft the live page again (its unpublished changes are dropped)."""
    with engine.connect() as conn:
        latest = repo.latest_page_version(conn, campaign.id)
    if latest is None or not campaign.page_published:
        flash(request, "Nothing is published yet: there is no live page to go back to.", "error")
        return redirect(request, "page_builder", slug=slug)
    live = PageInput.model_validate(page_content(latest.snapshot))
    try:
        with transaction(engine) as conn:
            service.save_page(conn, campaign=campaign, data=live, actor=user.actor, now=utcnow())
    except TransitionRefused as exc:
        return _refused(request, exc)
    flash(
        request,
        "The draft is version %(version)s again, the page candidates see.",
        version=latest.version,
    )
    return redirect(request, "page_builder", slug=slug)


PreviewLanguage = Annotated[Literal["nl", "en"] | None, Query()]


@router.get("/campaigns/{slug}/page/preview", name="page_preview")
def page_preview(
    request: Request,
    slug: str,
    user: ConsoleUser,
    campaign: TenantCampaign,
    lang: PreviewLanguage = None,
) -> Response:
    """How the page draft will look to a candidate on a phone (landing renders it)."""
    page = complete_page(campaign.page)
    own = page.get("language", "nl")
    languages = [own, *(other for other in page.get("languages") or [] if other != own)]
    language = lang if lang in languages else own
    context = {
        "campaign": campaign,
        "languages": languages,
        "language": language,
        "problems": page_problems(campaign.page),
    }
    return render(request, "page_preview.html", context, user=user)


@router.get("/campaigns/{slug}/page/preview/frame", name="page_preview_frame")
def page_preview_frame(
    request: Request,
    slug: str,
    user: ConsoleUser,
    campaign: TenantCampaign,
    settings: SettingsDep,
    previews: PagePreviewsDep,
    lang: PreviewLanguage = None,
) -> Response:
    """The draft as landing renders it, for the preview's frame."""
    headers = {"content-security-policy": frame_policy(settings.landing_url)}
    if page_problems(campaign.page):
        message = "This draft cannot be shown yet: the page builder says what it still needs."
        return HTMLResponse(_frame_notice(message), status_code=409, headers=headers)
    snapshot = PageSnapshot.model_validate({**campaign.page, "version": campaign.page_version + 1})
    try:
        html = previews.render(
            tenant_id=campaign.tenant_id,
            campaign_id=campaign.id,
            slug=campaign.slug,
            page=snapshot.model_dump(mode="json"),
            language=lang,
        )
        framed_html = framed(html, settings.landing_url)
    except PreviewUnavailable:
        message = "The landing service did not answer; try again in a moment."
        return HTMLResponse(_frame_notice(message), status_code=503, headers=headers)
    return HTMLResponse(framed_html, headers={**headers, "cache-control": "no-store"})


def _frame_notice(message: str) -> str:
    return (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>Preview</title>'
        f"<p>{escape(message)}</p></html>"
    )


@router.get("/campaigns/{slug}/page/publish", name="page_publish_review")
def page_publish_review(
    request: Request, slug: str, user: ConsoleEditor, campaign: TenantCampaign, engine: EngineDep
) -> Response:
    """What publishing the draft changes for candidates, field by field, to confirm."""
    with engine.connect() as conn:
        latest = repo.latest_page_version(conn, campaign.id)
    live = latest.snapshot if latest is not None and campaign.page_published else None
    context = {
        "campaign": campaign,
        "changes": page_changes(live, campaign.page),
        "first_publication": live is None,
        "problems": page_problems(campaign.page),
        "fingerprint": publication_fingerprint(campaign),
    }
    return render(request, "page_publish.html", context, user=user)


@router.post("/campaigns/{slug}/page/publish", name="page_publish")
def page_publish(
    request: Request,
    slug: str,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    form: FormDep,
) -> Response:
    """Publish the draft the marketer reviewed as the next page version (a draft
    campaign goes live with it); anything else goes back to the review."""
    if text(form, "reviewed") != publication_fingerprint(campaign):
        if text(form, "reviewed"):
            flash(
                request,
                "The page changed since you reviewed the changes; check them again.",
                "error",
            )
        return redirect(request, "page_publish_review", slug=slug)
    try:
        with transaction(engine) as conn:
            published = service.publish_page(
                conn, campaign=campaign, actor=user.actor, now=utcnow()
            )
    except (CampaignNotPublishable, TransitionRefused) as exc:
        flash(request, exc.detail, "error")
        return redirect(request, "page_builder", slug=slug)
    if published.status == "live":
        flash(
            request,
            "Page version %(version)s is published and live.",
            version=published.page_version,
        )
    else:
        flash(
            request,
            "Page version %(version)s is saved; candidates see it once you resume the campaign.",
            version=published.page_version,
        )
    return redirect(request, "campaign_detail", slug=slug)


@router.post("/campaigns/{slug}/page/unpublish", name="page_unpublish")
def page_unpublish(
    request: Request, slug: str, user: ConsoleEditor, campaign: TenantCampaign, engine: EngineDep
) -> Response:
    """Take the page offline (a live campaign is paused with it)."""
    try:
        with transaction(engine) as conn:
            service.unpublish_page(conn, campaign=campaign, actor=user.actor, now=utcnow())
    except TransitionRefused as exc:
        return _refused(request, exc)
    flash(request, "The page is offline; the campaign is paused until you publish it again.")
    return redirect(request, "campaign_detail", slug=slug)


def _refused(request: Request, exc: CampaignsError) -> Response:
    """Back to the campaign with the reason an action was refused."""
    flash(request, exc.detail, "error")
    return redirect(request, "campaign_detail", slug=request.path_params["slug"])
