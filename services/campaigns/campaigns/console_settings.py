"""Console pages for an employer's settings: members and roles, API tokens, audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from campaigns import audit, forms, service_layer
from campaigns import repository as repo
from campaigns.console import Pager, flash, redirect, render
from campaigns.console_campaigns import FormDep
from campaigns.deps import ConsoleOwner, ConsoleUser, EngineDep
from campaigns.domain import ROLES
from campaigns.errors import InvalidInput, TransitionRefused
from koers.db import transaction
from koers.events import utcnow

router = APIRouter(include_in_schema=False)

PageNumber = Annotated[int, Query(ge=1, le=100_000)]


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
                service_layer.add_member(
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
            service_layer.change_member(
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
            _, secret = service_layer.create_api_token(
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
            service_layer.revoke_api_token(
                conn, tenant_id=user.tenant_id, token_id=token_id, actor=user.actor, now=utcnow()
            )
    except TransitionRefused as exc:
        flash(request, exc.detail, "error")
        return redirect(request, "settings")
    flash(request, "The token is revoked.")
    return redirect(request, "settings")


@router.get("/audit", name="audit_log")
def audit_log(
    request: Request, user: ConsoleUser, engine: EngineDep, page: PageNumber = 1
) -> Response:
    """Every change and decision in this employer: who, when, what, before and after."""
    with engine.connect() as conn:
        pager = Pager(page, audit.count(conn, user.tenant_id))
        entries = audit.entries(conn, user.tenant_id, limit=pager.size, offset=pager.offset)
    return render(request, "audit.html", {"entries": entries, "pager": pager}, user=user)
