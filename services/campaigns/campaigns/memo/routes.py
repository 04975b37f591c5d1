"""The weekly memo in the console: the page per ISO week (the whole employer, or one
campaign), its e-mail as a preview and a download, sending it, and opting in to it.

The employer is always the logged-in one: no URL names a tenant, and a campaign slug of
another employer is simply not found (404).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment
from sqlalchemy import Engine

from campaigns.catalog.deps import TenantCampaign
from campaigns.config import Settings
from campaigns.errors import InvalidInput
from campaigns.memo import dutch
from campaigns.memo import repository as repo
from campaigns.memo.domain import Memo
from campaigns.memo.mail import Mailer, MailNotSent
from campaigns.memo.service import Audience, email_content, send_memo, weekly_memo
from campaigns.overview.deps import EmployerFollowUpDep
from campaigns.overview.service import EmployerFollowUp
from campaigns.scheduling.weeks import planned_week
from campaigns.tenancy.deps import ConsoleEditor, ConsoleUser, User
from campaigns.web.deps import EngineDep, SettingsDep
from campaigns.web.flash import flash
from campaigns.web.forms import FormDep, text
from campaigns.web.i18n import DEFAULT_LANGUAGE
from campaigns.web.rendering import ConsoleTemplates, local_path, render
from campaigns.web.weeks import WeekQuery, existing_week
from koers.db import transaction
from koers.events import utcnow
from koers.isoweeks import ISO_WEEK_PATTERN

router = APIRouter(include_in_schema=False)

EMAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
"""The e-mail preview is the e-mail's own HTML: inline styles only, nothing else."""


def get_mailer(request: Request) -> Mailer | None:
    mailer: Mailer | None = request.app.state.memo_mailer
    return mailer


MailerDep = Annotated[Mailer | None, Depends(get_mailer)]


def _week(week: str | None) -> str:
    return week or planned_week(utcnow(), logical_date=None, requested=None)


def _page(
    request: Request,
    user: User,
    memo: Memo,
    *,
    mailer: Mailer | None,
    subscribed: bool,
    campaign_slug: str | None = None,
) -> Response:
    context = {
        "memo": memo,
        "nl": dutch,
        "mail_configured": mailer is not None,
        "subscribed": subscribed,
        "can_send_all": user.can("edit_campaigns"),
        "campaign_slug": campaign_slug,
    }
    return render(request, "memo.html", context, user=user)


@router.get("/memo", name="memo_week")
def memo_week(
    request: Request,
    user: ConsoleUser,
    engine: EngineDep,
    mailer: MailerDep,
    follow_up: EmployerFollowUpDep,
    week: WeekQuery = None,
) -> Response:
    """The weekly memo of the employer: what moved, why, what needs a decision, and the
    next best actions now."""
    with engine.connect() as conn:
        memo = weekly_memo(conn, user.tenant_id, _week(week), utcnow(), follow_up=follow_up)
        subscribed = repo.is_subscribed(conn, user.tenant_id, user.id)
    return _page(request, user, memo, mailer=mailer, subscribed=subscribed)


@router.get("/campaigns/{slug}/memo", name="campaign_memo")
def campaign_memo(
    request: Request,
    slug: str,
    user: ConsoleUser,
    campaign: TenantCampaign,
    engine: EngineDep,
    mailer: MailerDep,
    week: WeekQuery = None,
) -> Response:
    """The weekly memo of one campaign."""
    with engine.connect() as conn:
        memo = weekly_memo(conn, user.tenant_id, _week(week), utcnow(), only=campaign)
        subscribed = repo.is_subscribed(conn, user.tenant_id, user.id)
    return _page(
        request, user, memo, mailer=mailer, subscribed=subscribed, campaign_slug=campaign.slug
    )


def _email_html(
    request: Request,
    user: User,
    engine: EngineDep,
    week: str,
    console_url: str,
    follow_up: EmployerFollowUp,
) -> str:
    templates: ConsoleTemplates = request.app.state.templates
    with engine.connect() as conn:
        memo = weekly_memo(conn, user.tenant_id, week, utcnow(), follow_up=follow_up)
    return email_content(_mail_env(templates), memo, console_url=console_url).html


@router.get("/memo/email", name="memo_email_preview")
def memo_email_preview(
    request: Request,
    user: ConsoleUser,
    engine: EngineDep,
    settings: SettingsDep,
    follow_up: EmployerFollowUpDep,
    week: WeekQuery = None,
) -> Response:
    """The memo exactly as the e-mail shows it."""
    html = _email_html(request, user, engine, _week(week), settings.console_url, follow_up)
    return HTMLResponse(html, headers={"Content-Security-Policy": EMAIL_CSP})


@router.get("/memo/email.html", name="memo_email_download")
def memo_email_download(
    request: Request,
    user: ConsoleUser,
    engine: EngineDep,
    settings: SettingsDep,
    follow_up: EmployerFollowUpDep,
    week: WeekQuery = None,
) -> Response:
    """The memo's e-mail HTML as a file, to send with any mail program."""
    chosen = _week(week)
    html = _email_html(request, user, engine, chosen, settings.console_url, follow_up)
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": EMAIL_CSP,
            "Content-Disposition": f'attachment; filename="koers-weekmemo-{chosen}.html"',
        },
    )


def _form_week(form: Mapping[str, Any]) -> str:
    """The form's ISO week; a missing or impossible one is a 422 that names it."""
    week = text(form, "week")
    if re.fullmatch(ISO_WEEK_PATTERN, week, re.ASCII):
        try:
            return existing_week(week)
        except ValueError:
            pass
    raise InvalidInput(
        f"“{week[:20]}” is geen bestaande ISO-week (zoals 2026-W49).", {"week": "ISO-week"}
    )


def _send(
    request: Request,
    user: User,
    engine: Engine,
    settings: Settings,
    mailer: Mailer | None,
    week: str,
    audience: Audience,
    follow_up: EmployerFollowUp,
) -> Response:
    back = local_path(request, "memo_week") + f"?week={week}"
    if mailer is None:
        flash(
            request,
            "E-mail is not set up (KOERS_CAMPAIGNS_SMTP_URL), so nothing was sent. "
            "Download the HTML and send it yourself.",
            "warning",
        )
        return redirect_to(back)
    now = utcnow()
    templates: ConsoleTemplates = request.app.state.templates
    with engine.connect() as conn:
        recipients = [user.email] if audience == "me" else repo.recipients(conn, user.tenant_id)
        memo = weekly_memo(conn, user.tenant_id, week, now, follow_up=follow_up)
    if not recipients:
        flash(
            request,
            "Nobody has signed up for the weekly memo yet; nothing was sent.",
            "warning",
        )
        return redirect_to(back)
    content = email_content(_mail_env(templates), memo, console_url=settings.console_url)
    try:
        sent = send_memo(
            engine,
            mailer,
            content,
            tenant_id=user.tenant_id,
            week=week,
            audience=audience,
            recipients=recipients,
            actor=user.actor,
            now=now,
        )
    except MailNotSent as exc:
        flash(
            request,
            "The memo was not sent: the mail server gave an error (%(error)s). "
            "Try again later or download the HTML.",
            "error",
            error=exc,
        )
        return redirect_to(back)
    if audience == "me":
        flash(request, "The memo was sent to you.")
    elif sent == 1:
        flash(request, "The memo was sent to 1 recipient.")
    else:
        flash(request, "The memo was sent to %(count)s recipients.", count=sent)
    return redirect_to(back)


@router.post("/memo/send-to-me", name="send_memo_to_me")
def send_memo_to_me(
    request: Request,
    user: ConsoleUser,
    engine: EngineDep,
    settings: SettingsDep,
    mailer: MailerDep,
    form: FormDep,
    follow_up: EmployerFollowUpDep,
) -> Response:
    """Send the week's memo to yourself (any member may)."""
    return _send(request, user, engine, settings, mailer, _form_week(form), "me", follow_up)


@router.post("/memo/send", name="send_memo")
def send_memo_to_subscribers(
    request: Request,
    user: ConsoleEditor,
    engine: EngineDep,
    settings: SettingsDep,
    mailer: MailerDep,
    form: FormDep,
    follow_up: EmployerFollowUpDep,
) -> Response:
    """Send the week's memo to every member of the employer who opted in."""
    week = _form_week(form)
    return _send(request, user, engine, settings, mailer, week, "subscribers", follow_up)


@router.post("/memo/subscription", name="memo_subscription")
def memo_subscription(
    request: Request, user: ConsoleUser, engine: EngineDep, form: FormDep
) -> Response:
    """Opt in to (or out of) the weekly memo by e-mail for this employer."""
    wanted = text(form, "subscribe") == "yes"
    with transaction(engine) as conn:
        if wanted:
            repo.subscribe(conn, user.tenant_id, user.id, utcnow())
        else:
            repo.unsubscribe(conn, user.tenant_id, user.id)
    if wanted:
        flash(request, "From now on you receive the weekly memo by e-mail.")
    else:
        flash(request, "You no longer receive the weekly memo by e-mail.")
    week = text(form, "week")
    back = local_path(request, "memo_week")
    valid = re.fullmatch(ISO_WEEK_PATTERN, week, re.ASCII) is not None
    return redirect_to(back + (f"?week={week}" if valid else ""))


def _mail_env(templates: ConsoleTemplates) -> Environment:
    """The e-mail is Dutch whoever asks: it goes to every member who signed up, and the
    memo's own sentences are written in Dutch."""
    return templates[DEFAULT_LANGUAGE].env


def redirect_to(path: str) -> Response:
    """303 to a path on this site (after a form post)."""
    return RedirectResponse(path, status_code=303)
