"""Console pages of tenancy: logging in and out, the tenant switcher, and an employer's
settings (members and roles, API tokens)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from campaigns.errors import InvalidInput, ObjectNotFound, TransitionRefused
from campaigns.tenancy import auth, service
from campaigns.tenancy import repository as repo
from campaigns.tenancy.deps import ConsoleOwner, ConsoleUser, session_user
from campaigns.tenancy.domain import ROLES
from campaigns.web import forms
from campaigns.web.deps import EngineDep
from campaigns.web.flash import flash
from campaigns.web.forms import FormDep, FormField
from campaigns.web.rendering import redirect, render
from koers.db import transaction
from koers.events import utcnow

router = APIRouter(include_in_schema=False)


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/login", name="login")
def login_form(request: Request, engine: EngineDep) -> Response:
    """The login form."""
    if session_user(request, engine) is not None:
        return redirect(request, "campaign_list")
    return render(request, "login.html", {"email": "", "message": None})


@router.post("/login", name="login_submit")
def login_submit(
    request: Request,
    engine: EngineDep,
    email: FormField = "",
    password: FormField = "",
) -> Response:
    """Check the e-mail and password and start a session (throttled after failures)."""
    if not email.strip() or not password:
        message = "Please fill in your e-mail address and password."
        return render(request, "login.html", {"email": email, "message": message}, status_code=400)
    with transaction(engine) as conn:
        outcome = service.authenticate(
            conn, email[:320], password[:1000], client_ip=client_ip(request)
        )
    if outcome.locked_until is not None:
        message = (
            "Too many failed attempts. For your safety logging in is paused for a while; "
            f"please try again after {outcome.locked_until:%H:%M} UTC."
        )
        return render(request, "login.html", {"email": email, "message": message}, status_code=429)
    if outcome.user_id is None:
        message = "That e-mail address and password do not match. Please try again."
        return render(request, "login.html", {"email": email, "message": message}, status_code=401)
    auth.start_session(request.session, outcome.user_id)
    return redirect(request, "campaign_list")


@router.post("/logout", name="logout")
def logout(request: Request) -> Response:
    """End the session."""
    request.session.clear()
    return redirect(request, "login")


@router.post("/tenant", name="switch_tenant")
def switch_tenant(request: Request, user: ConsoleUser, tenant_id: FormField = "") -> Response:
    """Switch the employer an agency user works for (only to one they are a member of)."""
    membership = next((m for m in user.memberships if m.tenant_id == tenant_id), None)
    if membership is None:
        raise ObjectNotFound("You are not a member of that employer.")
    request.session[auth.SESSION_TENANT] = membership.tenant_id
    flash(request, f"You are now working for {membership.tenant_name}.")
    return redirect(request, "campaign_list")


# --- settings: members and API tokens ------------------------------------------------


@router.get("/settings", name="settings")
def settings_page(request: Request, user: ConsoleOwner, engine: EngineDep) -> Response:
    """Members with their roles, and the employer's API tokens."""
    with engine.connect() as conn:
        members = repo.members_of(conn, user.tenant_id)
        tokens = repo.api_tokens_of(conn, user.tenant_id)
    context = {"members": members, "tokens": tokens, "roles": ROLES, "new_token": None}
    return render(request, "settings.html", context, user=user)


@router.post("/settings/members", name="member_add")
def member_add(request: Request, user: ConsoleOwner, engine: EngineDep, form: FormDep) -> Response:
    """Give someone a role here (a new e-mail address becomes a new user)."""
    email = forms.text(form, "email").lower()
    role = forms.text(form, "role")
    errors: dict[str, str] = {}
    if "@" not in email or len(email) > 320:
        errors["email"] = "Please enter an e-mail address."
    if role not in ROLES:
        errors["role"] = "Choose a role."
    if not errors:
        try:
            with transaction(engine) as conn:
                service.add_member(
                    conn,
                    tenant_id=user.tenant_id,
                    email=email,
                    role=role,
                    password=forms.text(form, "password"),
                    actor=user.actor,
                    now=utcnow(),
                )
        except InvalidInput as exc:
            errors = exc.field_errors
    if errors:
        with engine.connect() as conn:
            members = repo.members_of(conn, user.tenant_id)
            tokens = repo.api_tokens_of(conn, user.tenant_id)
        context = {
            "members": members,
            "tokens": tokens,
            "roles": ROLES,
            "new_token": None,
            "errors": errors,
            "values": {"email": email, "role": role},
        }
        return render(request, "settings.html", context, user=user, status_code=422)
    flash(request, f"{email} is now a {role} of {user.tenant_name}.")
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
    flash(request, "Member removed." if role == "remove" else f"Role changed to {role}.")
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
    with engine.connect() as conn:
        members = repo.members_of(conn, user.tenant_id)
        tokens = repo.api_tokens_of(conn, user.tenant_id)
    context = {
        "members": members,
        "tokens": tokens,
        "roles": ROLES,
        "new_token": secret,
        "errors": errors,
        "values": {"token_name": name, "token_role": role},
    }
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
