"""Console pages of tenancy: logging in and out, choosing, switching and adding employers,
your password, accepting an invitation, and an employer's settings (members, invitations,
API tokens)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from campaigns.benchmarks.routes import settings_context as benchmark_settings
from campaigns.config import Settings
from campaigns.errors import InvalidInput, ObjectNotFound, TenantChoiceRequired, TransitionRefused
from campaigns.tenancy import auth, service
from campaigns.tenancy import repository as repo
from campaigns.tenancy.deps import (
    ConsoleOwner,
    ConsolePerson,
    ConsoleUser,
    session_person,
    session_user,
)
from campaigns.tenancy.domain import (
    EMPLOYER_NAME_MAX_LENGTH,
    ROLES,
    Invitation,
    may_create_employers,
)
from campaigns.web import forms
from campaigns.web.deps import EngineDep, PasswordHasherDep, SettingsDep
from campaigns.web.flash import flash
from campaigns.web.forms import FormDep, FormField
from campaigns.web.i18n import N_, as_language, gettext_for
from campaigns.web.rendering import local_path, redirect, render, safe_next
from koers.db import transaction
from koers.events import utcnow

router = APIRouter(include_in_schema=False)

NextField = Annotated[str, Form(alias="next")]
"""Where to go after logging in or choosing: checked by ``safe_next`` before use."""


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


LOCKED_MESSAGE = (
    "Too many failed attempts. For your safety logging in is paused for a while; "
    "please try again after {until:%H:%M:%S} UTC."
)
MISMATCH_MESSAGE = "That e-mail address and password do not match. Please try again."


def login_page(
    request: Request, *, email: str = "", message: str | None = None, status_code: int = 200
) -> Response:
    next_path = safe_next(request.query_params.get("next")) or ""
    context = {"email": email, "message": message, "next": next_path}
    return render(request, "login.html", context, status_code=status_code)


def after_login(request: Request, next_path: str | None) -> Response:
    """Where a person goes once their session is known: the page they asked for, or
    first the chooser when they work for several employers and chose none."""
    target = safe_next(next_path)
    if request.session.get(auth.SESSION_TENANT) is None:
        choose = local_path(request, "tenant_choose")
        return RedirectResponse(
            choose + (f"?{urlencode({'next': target})}" if target else ""), status_code=303
        )
    return RedirectResponse(target or local_path(request, "campaign_list"), status_code=303)


def start_console_session(
    request: Request, user_id: str, session_version: int, memberships: list[repo.Membership]
) -> None:
    """A new session; with one employer it is the active one, with several none yet."""
    only = memberships[0].tenant_id if len(memberships) == 1 else None
    auth.start_session(request.session, user_id, session_version, only)


def login_redirect(request: Request, exc: Exception) -> Response:
    """A page needs a session (to /login) or a chosen employer (to the chooser); the page
    asked for comes along as ``next``, a path on this site."""
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    route = "tenant_choose" if isinstance(exc, TenantChoiceRequired) else "login"
    query = f"?{urlencode({'next': wanted})}" if request.method == "GET" and wanted != "/" else ""
    return RedirectResponse(local_path(request, route) + query, status_code=303)


@router.get("/login", name="login")
def login_form(request: Request, engine: EngineDep) -> Response:
    """The login form."""
    try:
        known = session_user(request, engine) is not None
    except TenantChoiceRequired:
        return after_login(request, request.query_params.get("next"))
    if known:
        return after_login(request, request.query_params.get("next"))
    return login_page(request)


@router.post("/login", name="login_submit")
def login_submit(
    request: Request,
    engine: EngineDep,
    password_hasher: PasswordHasherDep,
    email: FormField = "",
    password: FormField = "",
    next_path: NextField = "",
) -> Response:
    """Check the e-mail and password and start a session (throttled after failures)."""
    if not email.strip() or not password:
        message = "Please fill in your e-mail address and password."
        return login_page(request, email=email, message=message, status_code=400)
    outcome = service.authenticate(
        engine,
        email[:320],
        password[:1000],
        client_ip=client_ip(request),
        password_hasher=password_hasher,
    )
    if outcome.locked_until is not None:
        message = LOCKED_MESSAGE.format(until=outcome.locked_until)
        return login_page(request, email=email, message=message, status_code=429)
    if outcome.user_id is None:
        return login_page(request, email=email, message=MISMATCH_MESSAGE, status_code=401)
    with engine.connect() as conn:
        memberships = repo.memberships_of(conn, outcome.user_id)
    if not memberships:
        message = (
            "Your account is not a member of any employer (any more). "
            "Ask an owner to invite you, then open the link they give you."
        )
        return login_page(request, email=email, message=message, status_code=403)
    start_console_session(request, outcome.user_id, outcome.session_version, memberships)
    return after_login(request, next_path)


@router.post("/logout", name="logout")
def logout(request: Request, engine: EngineDep) -> Response:
    """End the session, and every other copy of it."""
    person = session_person(request, engine)
    if person is not None:
        with transaction(engine) as conn:
            service.log_out(conn, person.id)
    request.session.clear()
    return redirect(request, "login")


@router.get("/employer", name="tenant_choose")
def tenant_choose(request: Request, person: ConsolePerson) -> Response:
    """Choose the employer to work for (someone who works for several)."""
    context = {
        "memberships": person.memberships,
        "next": safe_next(request.query_params.get("next")) or "",
        "active": request.session.get(auth.SESSION_TENANT),
    }
    return render(request, "tenant_choose.html", context)


@router.post("/tenant", name="switch_tenant")
def switch_tenant(
    request: Request,
    person: ConsolePerson,
    tenant_id: FormField = "",
    next_path: NextField = "",
) -> Response:
    """Choose or switch the employer to work for (only one whose member you are)."""
    membership = next((m for m in person.memberships if m.tenant_id == tenant_id), None)
    if membership is None:
        raise ObjectNotFound("You are not a member of that employer.")
    request.session[auth.SESSION_TENANT] = membership.tenant_id
    flash(request, "You are now working for %(employer)s.", employer=membership.tenant_name)
    return after_login(request, next_path)


# --- adding an employer ---------------------------------------------------------------


def _employer_form(
    request: Request,
    user: ConsoleUser,
    *,
    name: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "values": {"name": name},
        "errors": errors or {},
        "allowed": may_create_employers(user.memberships),
        "max_length": EMPLOYER_NAME_MAX_LENGTH,
    }
    return render(request, "employer_new.html", context, user=user, status_code=status_code)


@router.get("/employers/new", name="employer_new")
def employer_new(request: Request, user: ConsoleUser) -> Response:
    """The form to add an employer (owners of an employer only)."""
    allowed = may_create_employers(user.memberships)
    return _employer_form(request, user, status_code=200 if allowed else 403)


@router.post("/employers", name="employer_create")
def employer_create(
    request: Request, user: ConsoleUser, engine: EngineDep, form: FormDep
) -> Response:
    """Add an employer with you as its owner, and start working for it."""
    name = forms.text(form, "name")[: 4 * EMPLOYER_NAME_MAX_LENGTH]
    if not may_create_employers(user.memberships):
        return _employer_form(request, user, name=name, status_code=403)
    try:
        with transaction(engine) as conn:
            created = service.create_employer(
                conn, name=name, owner_id=user.id, actor=user.actor, now=utcnow()
            )
    except InvalidInput as exc:
        return _employer_form(request, user, name=name, errors=exc.field_errors, status_code=422)
    request.session[auth.SESSION_TENANT] = created.tenant_id
    flash(
        request,
        "%(employer)s is added and you are its owner; you now work for it. "
        "Invite the people who work on it below.",
        employer=created.tenant_name,
    )
    return redirect(request, "settings")


# --- your account ---------------------------------------------------------------------


@router.post("/account/language", name="language_change")
def language_change(
    request: Request,
    person: ConsolePerson,
    engine: EngineDep,
    language: FormField = "",
    next_path: NextField = "",
) -> Response:
    """Read the console in Dutch or English from now on (stored on your account)."""
    chosen = as_language(language)
    if chosen is None:
        raise InvalidInput(
            N_("Choose Nederlands (nl) or English (en)."),
            {"language": N_("Choose Nederlands (nl) or English (en).")},
        )
    with transaction(engine) as conn:
        service.set_user_language(conn, person.id, chosen)
    back = safe_next(next_path)
    return RedirectResponse(back, status_code=303) if back else redirect(request, "campaign_list")


@router.get("/account/password", name="password_form")
def password_form(request: Request, user: ConsoleUser) -> Response:
    """The form to change your password."""
    return render(request, "password.html", {}, user=user)


@router.post("/account/password", name="password_change")
def password_change(
    request: Request,
    user: ConsoleUser,
    engine: EngineDep,
    form: FormDep,
    password_hasher: PasswordHasherDep,
) -> Response:
    """Change your password: every other session of yours ends."""
    current = forms.text(form, "current_password")
    new = forms.text(form, "new_password")
    outcome = service.authenticate(
        engine,
        user.email,
        current[:1000],
        client_ip=client_ip(request),
        password_hasher=password_hasher,
    )
    errors: dict[str, str] = {}
    if outcome.locked_until is not None:
        errors["current_password"] = LOCKED_MESSAGE.format(until=outcome.locked_until)
    elif outcome.user_id != user.id:
        errors["current_password"] = "That is not your current password."
    elif new != forms.text(form, "repeat_password"):
        errors["repeat_password"] = "The two new passwords differ."
    if not errors:
        try:
            with transaction(engine) as conn:
                version = service.change_password(
                    conn,
                    user_id=user.id,
                    new_password=new[:1000],
                    now=utcnow(),
                    password_hasher=password_hasher,
                )
        except InvalidInput as exc:
            errors = exc.field_errors
    if errors:
        return render(request, "password.html", {"errors": errors}, user=user, status_code=422)
    auth.start_session(request.session, user.id, version, user.tenant_id)
    flash(request, "Your password is changed; your other sessions have ended.")
    return redirect(request, "campaign_list")


# --- accepting an invitation ----------------------------------------------------------


def _invite_page(
    request: Request,
    invitation: Invitation,
    token: str,
    has_account: bool,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "invitation": invitation,
        "token": token,
        "has_account": has_account,
        "errors": errors or {},
    }
    return render(request, "invite.html", context, status_code=status_code)


@router.get("/invite/{token}", name="invite_accept")
def invite_form(request: Request, token: str, engine: EngineDep) -> Response:
    """The invitation: choose a password (new to Koers) or log in (has an account)."""
    with engine.connect() as conn:
        invitation = service.usable_invitation(conn, token, utcnow())
        has_account = service.account_exists(conn, invitation.email)
    return _invite_page(request, invitation, token, has_account)


@router.post("/invite/{token}", name="invite_accept_submit")
def invite_submit(
    request: Request,
    token: str,
    engine: EngineDep,
    form: FormDep,
    password_hasher: PasswordHasherDep,
) -> Response:
    """Accept the invitation as a new user or, after logging in, as an existing one."""
    now = utcnow()
    password = forms.text(form, "password")[:1000]
    with engine.connect() as conn:
        invitation = service.usable_invitation(conn, token, now)
        has_account = service.account_exists(conn, invitation.email)
    if has_account:
        outcome = service.authenticate(
            engine,
            invitation.email,
            password,
            client_ip=client_ip(request),
            now=now,
            password_hasher=password_hasher,
        )
        if outcome.locked_until is not None or outcome.user_id is None:
            message = (
                LOCKED_MESSAGE.format(until=outcome.locked_until)
                if outcome.locked_until is not None
                else "That is not the password of this account."
            )
            status = 429 if outcome.locked_until is not None else 401
            return _invite_page(
                request, invitation, token, True, errors={"password": message}, status_code=status
            )
        user_id, version = outcome.user_id, outcome.session_version
        with transaction(engine) as conn:
            service.accept_invitation(conn, invitation=invitation, user_id=user_id, now=now)
    else:
        try:
            with transaction(engine) as conn:
                user_id = service.accept_as_new_user(
                    conn,
                    invitation=invitation,
                    password=password,
                    repeat=forms.text(form, "repeat")[:1000],
                    now=now,
                    password_hasher=password_hasher,
                )
        except InvalidInput as exc:
            return _invite_page(
                request, invitation, token, False, errors=exc.field_errors, status_code=422
            )
        version = 0
    auth.start_session(request.session, user_id, version, invitation.tenant_id)
    flash(
        request,
        "Welcome: you now work for %(employer)s as %(role)s.",
        employer=invitation.tenant_name,
        role=gettext_for(request)(invitation.role),
    )
    return redirect(request, "campaign_list")


# --- settings: members and API tokens ------------------------------------------------


def _settings_context(engine: EngineDep, user: ConsoleOwner, **extra: Any) -> dict[str, Any]:
    with engine.connect() as conn:
        members = repo.members_of(conn, user.tenant_id)
        tokens = repo.api_tokens_of(conn, user.tenant_id)
        invitations = repo.pending_invitations_of(conn, user.tenant_id, utcnow())
        benchmarks = benchmark_settings(conn, user.tenant_id)
    return {
        **benchmarks,
        "members": members,
        "tokens": tokens,
        "invitations": invitations,
        "roles": ROLES,
        "new_token": None,
        "new_invite": None,
        **extra,
    }


def invite_url(request: Request, settings: Settings, token: str) -> str:
    """The link an invitee opens: on the console's configured address, never the Host
    header of whoever made the invitation."""
    return settings.console_url.rstrip("/") + local_path(request, "invite_accept", token=token)


@router.get("/settings", name="settings")
def settings_page(request: Request, user: ConsoleOwner, engine: EngineDep) -> Response:
    """Members with their roles, open invitations, the employer's API tokens and whether
    it takes part in the benchmarks."""
    return render(request, "settings.html", _settings_context(engine, user), user=user)


@router.post("/settings/members", name="member_add")
def member_add(
    request: Request,
    user: ConsoleOwner,
    engine: EngineDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Invite someone to a role here; they accept with the link shown once.

    The answer is the same whether or not the address already has an account.
    """
    email = forms.text(form, "email")
    role = forms.text(form, "role")
    errors: dict[str, str] = {}
    if role not in ROLES:
        errors["role"] = "Choose a role."
    try:
        email = service.email_field(email)
    except InvalidInput as exc:
        errors.update(exc.field_errors)
    if not errors:
        try:
            with transaction(engine) as conn:
                invitation, token = service.invite_member(
                    conn,
                    tenant_id=user.tenant_id,
                    email=email,
                    role=role,
                    actor=user.actor,
                    now=utcnow(),
                )
        except InvalidInput as exc:
            errors = exc.field_errors
    if errors:
        context = _settings_context(
            engine, user, errors=errors, values={"email": email, "role": role}
        )
        return render(request, "settings.html", context, user=user, status_code=422)
    new_invite = {
        "email": invitation.email,
        "role": invitation.role,
        "url": invite_url(request, settings, token),
        "expires_at": invitation.expires_at,
    }
    context = _settings_context(engine, user, new_invite=new_invite)
    return render(request, "settings.html", context, user=user, status_code=201)


@router.post("/settings/invitations/{invitation_id}/withdraw", name="invitation_withdraw")
def invitation_withdraw(
    request: Request, invitation_id: str, user: ConsoleOwner, engine: EngineDep
) -> Response:
    """Withdraw an open invitation: its link stops working."""
    with transaction(engine) as conn:
        withdrawn = repo.withdraw_invitation(conn, user.tenant_id, invitation_id)
    if not withdrawn:
        raise ObjectNotFound("There is no such open invitation.")
    flash(request, "The invitation is withdrawn; its link no longer works.")
    return redirect(request, "settings")


@router.post("/settings/members/{user_id}", name="member_change")
def member_change(
    request: Request, user_id: str, user: ConsoleOwner, engine: EngineDep, form: FormDep
) -> Response:
    """Change a member's role, or remove them from this employer."""
    role = forms.text(form, "role")
    if role != "remove" and role not in ROLES:
        flash(request, "Choose a role.", "error")
        return redirect(request, "settings")
    try:
        with transaction(engine) as conn:
            service.change_member(
                conn,
                tenant_id=user.tenant_id,
                user_id=user_id,
                role=None if role == "remove" else role,
                actor=user.actor,
                now=utcnow(),
            )
    except TransitionRefused as exc:
        flash(request, exc.detail, "error")
        return redirect(request, "settings")
    if role == "remove":
        flash(request, "Member removed.")
    else:
        flash(request, "Role changed to %(role)s.", role=gettext_for(request)(role))
    return redirect(request, "settings")


@router.post("/settings/tokens", name="token_create")
def token_create(
    request: Request, user: ConsoleOwner, engine: EngineDep, form: FormDep
) -> Response:
    """Make an API token; its secret is shown once, on the page that follows."""
    name = forms.text(form, "name")[:100]
    role = forms.text(form, "role") or "viewer"
    errors: dict[str, str] = {}
    if not name:
        errors["token_name"] = "Give the token a name, such as the script that uses it."
    if role not in ROLES:
        errors["token_role"] = "Choose a role."
    secret = None
    if not errors:
        with transaction(engine) as conn:
            _, secret = service.create_api_token(
                conn, tenant_id=user.tenant_id, name=name, role=role, actor=user.actor, now=utcnow()
            )
    context = _settings_context(
        engine,
        user,
        new_token=secret,
        errors=errors,
        values={"token_name": name, "token_role": role},
    )
    return render(request, "settings.html", context, user=user, status_code=422 if errors else 201)


@router.post("/settings/tokens/{token_id}/revoke", name="token_revoke")
def token_revoke(
    request: Request, token_id: str, user: ConsoleOwner, engine: EngineDep
) -> Response:
    """Revoke an API token at once."""
    try:
        with transaction(engine) as conn:
            service.revoke_api_token(
                conn, tenant_id=user.tenant_id, token_id=token_id, actor=user.actor, now=utcnow()
            )
    except TransitionRefused as exc:
        flash(request, exc.detail, "error")
        return redirect(request, "settings")
    flash(request, "The token is revoked.")
    return redirect(request, "settings")
