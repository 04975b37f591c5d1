"""``/campaigns/{slug}/organic``: record employee-made creatives' organic views per week
and the employer's CPM that values them.

Editors record; everyone in the tenant reads. A bad number, an unknown week or a creative
that is not employee-made re-renders the page with the reason (422), never a 500. Every
change is audited, named by campaign and creative.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from campaigns.audit import repository as audit
from campaigns.catalog import repository as catalog_repo
from campaigns.catalog.deps import TenantCampaign
from campaigns.catalog.domain import Campaign, Variant
from campaigns.decisions.domain import parse_euros, planned_week
from campaigns.organic import repository as repo
from campaigns.organic.domain import (
    MAX_CPM_CENTS,
    MAX_WEEKLY_VIEWS,
    media_value_cents,
    organic_summary,
)
from campaigns.tenancy.deps import ConsoleEditor, ConsoleUser, User
from campaigns.web.deps import EngineDep
from campaigns.web.flash import flash
from campaigns.web.forms import FormDep, text
from campaigns.web.i18n import N_, LocaleFormats, gettext_for, request_language
from campaigns.web.rendering import redirect, render
from koers.db import transaction
from koers.events import utcnow
from koers.isoweeks import ISO_WEEK_PATTERN, week_monday

router = APIRouter(include_in_schema=False)

OBJECT_TYPE = "organic_views"
_DIGITS = re.compile(r"^\d{1,10}$")
CPM_HINT = N_("Enter the CPM in euros, more than €0 and at most €%(max)s.")


def _cpm_hint(request: Request, user: User) -> str:
    formats = LocaleFormats(request_language(request, user))
    return gettext_for(request, user)(CPM_HINT) % {"max": formats.number(MAX_CPM_CENTS // 100)}


def employee_made(variants: list[Variant]) -> list[Variant]:
    return [v for v in variants if v.employee_generated and not v.archived]


def _page(
    request: Request,
    user: User,
    engine: Engine,
    campaign: Campaign,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    with engine.connect() as conn:
        creatives = employee_made(catalog_repo.variants_of(conn, campaign.id))
        weeks = repo.views_of(conn, campaign.id)
        totals = repo.total_views(conn, campaign.id)
        cpm = repo.cpm_of(conn, campaign.tenant_id)
    names = {v.variant_id: v.name for v in creatives}
    context: dict[str, Any] = {
        "campaign": campaign,
        "creatives": creatives,
        "summary": organic_summary([(v.variant_id, v.name) for v in creatives], totals, {}, cpm),
        "weeks": [
            (w, names.get(w.variant_id, w.variant_id), media_value_cents(w.views, cpm))
            for w in weeks
        ],
        "cpm_cents": cpm,
        "default_week": planned_week(utcnow()),
        "iso_week_pattern": ISO_WEEK_PATTERN.strip("^$"),
        "can_edit": user.can("edit_campaigns"),
        "errors": errors or {},
        "typed": typed or {},
    }
    status = 422 if errors else 200
    return render(request, "organic.html", context, user=user, status_code=status)


@router.get("/campaigns/{slug}/organic", name="organic_views")
def organic_page(
    request: Request, slug: str, user: ConsoleUser, campaign: TenantCampaign, engine: EngineDep
) -> Response:
    """Organic views of the campaign's employee-made creatives and what they are worth."""
    return _page(request, user, engine, campaign)


@router.post("/campaigns/{slug}/organic", name="record_organic_views")
def record_organic_views(
    request: Request,
    slug: str,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    form: FormDep,
) -> Response:
    """Record one employee-made creative's organic views of one ISO week."""
    typed = {name: text(form, name)[:40] for name in ("variant_id", "week", "views")}
    errors: dict[str, str] = {}
    _ = gettext_for(request, user)
    with engine.connect() as conn:
        creatives = {
            v.variant_id: v for v in employee_made(catalog_repo.variants_of(conn, campaign.id))
        }
    creative = creatives.get(typed["variant_id"])
    if creative is None:
        errors["variant_id"] = _("Choose one of this campaign's employee-made creatives.")
    week = typed["week"]
    try:
        week_monday(week)
    except ValueError:
        errors["week"] = _("Enter an ISO week like 2026-W50.")
    views_text = typed["views"].replace(".", "").replace(" ", "")
    views = int(views_text) if _DIGITS.match(views_text) else -1
    if not 0 <= views <= MAX_WEEKLY_VIEWS:
        errors["views"] = _("Enter the number of views as a whole number up to %(max)s.") % {
            "max": LocaleFormats(request_language(request, user)).number(MAX_WEEKLY_VIEWS)
        }
    if errors or creative is None:
        return _page(request, user, engine, campaign, errors=errors, typed=typed)
    now = utcnow()
    with transaction(engine) as conn:
        before = {
            w.week: w.views
            for w in repo.views_of(conn, campaign.id)
            if w.variant_id == creative.variant_id
        }
        repo.save_views(
            conn,
            campaign_id=campaign.id,
            variant_id=creative.variant_id,
            week=week,
            views=views,
            recorded_by=user.actor,
            at=now,
        )
        audit.record(
            conn,
            tenant_id=campaign.tenant_id,
            actor=user.actor,
            action="organic_views_recorded",
            object_type=OBJECT_TYPE,
            object_id=f"{campaign.id}:{creative.variant_id}:{week}",
            before=None if week not in before else {"views": before[week]},
            after={
                "summary": f"Organic views of “{creative.name}” ({campaign.name}) for {week}: "
                f"{views:,}.",
                "campaign": campaign.name,
                "creative": creative.name,
                "week": week,
                "views": views,
            },
            at=now,
        )
    flash(
        request,
        "Recorded %(views)s organic views of “%(name)s” for %(week)s.",
        "ok",
        views=LocaleFormats(request_language(request, user)).number(views),
        name=creative.name,
        week=week,
    )
    return redirect(request, "organic_views", slug=slug)


@router.post("/campaigns/{slug}/organic/cpm", name="save_organic_cpm")
def save_organic_cpm(
    request: Request,
    slug: str,
    user: ConsoleEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
    form: FormDep,
) -> Response:
    """The employer's CPM for valuing organic views (it applies to all its campaigns)."""
    typed = text(form, "cpm")[:40]
    cents = parse_euros(typed)
    if cents is None or not 0 < cents <= MAX_CPM_CENTS:
        return _page(
            request,
            user,
            engine,
            campaign,
            errors={"cpm": _cpm_hint(request, user)},
            typed={"cpm": typed},
        )
    now = utcnow()
    with transaction(engine) as conn:
        before = repo.cpm_of(conn, campaign.tenant_id)
        repo.save_cpm(conn, campaign.tenant_id, cents)
        audit.record(
            conn,
            tenant_id=campaign.tenant_id,
            actor=user.actor,
            action="organic_cpm_changed",
            object_type="organic_settings",
            object_id=campaign.tenant_id,
            before={"cpm_cents": before},
            after={
                "summary": f"CPM for valuing organic views: €{cents / 100:,.2f}.",
                "cpm_cents": cents,
            },
            at=now,
        )
    flash(
        request,
        "Organic views are now valued at %(cpm)s per thousand.",
        "ok",
        cpm=LocaleFormats(request_language(request, user)).euro(Decimal(cents) / 100),
    )
    return redirect(request, "organic_views", slug=slug)
