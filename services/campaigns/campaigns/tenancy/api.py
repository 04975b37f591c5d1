"""JSON API ``/api/v1`` for who is calling, employers, members, invitations and roles, and
API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from campaigns.errors import ObjectNotFound, RoleForbidden
from campaigns.tenancy import repository as repo
from campaigns.tenancy import service
from campaigns.tenancy.deps import ApiOwner, ApiUser
from campaigns.tenancy.domain import (
    EMPLOYER_NAME_MAX_LENGTH,
    Invitation,
    Role,
    employer_name,
    normalise_email,
)
from campaigns.tenancy.routes import invite_url
from campaigns.web.deps import EngineDep, SettingsDep
from campaigns.web.openapi import ERRORS
from koers.db import transaction
from koers.events import utcnow
from koers.text import StorableInput

router = APIRouter(prefix="/api/v1", tags=["tenancy"])

RoleName = Role


class MembershipOut(BaseModel):
    tenant_id: str
    tenant_name: str
    role: str


class MeOut(BaseModel):
    tenant_id: str
    tenant_name: str
    role: str
    actor: str
    via: str
    memberships: list[MembershipOut]


def _employer_name(value: str) -> str:
    return employer_name(value)  # a ValueError becomes a 422 naming the field


class EmployerIn(StorableInput):
    model_config = ConfigDict(extra="forbid")

    # The bound before normalising keeps a huge body from being scanned character by
    # character; the normalised name is held to EMPLOYER_NAME_MAX_LENGTH again.
    name: Annotated[
        str, Field(max_length=4 * EMPLOYER_NAME_MAX_LENGTH), AfterValidator(_employer_name)
    ]


class MemberOut(BaseModel):
    user_id: str
    email: str
    role: str
    created_at: datetime


def _email(value: str) -> str:
    return normalise_email(value)  # a ValueError becomes a 422 naming the field


class InvitationIn(StorableInput):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, Field(max_length=320), AfterValidator(_email)]
    role: RoleName


class InvitationOut(BaseModel):
    id: str
    email: str
    role: str
    invited_by: str
    created_at: datetime
    expires_at: datetime


class NewInvitationOut(InvitationOut):
    accept_url: str
    """The one-time link for the invitee: shown this once, never again."""


class RoleIn(StorableInput):
    model_config = ConfigDict(extra="forbid")

    role: RoleName


class TokenIn(StorableInput):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    role: RoleName = "viewer"


class TokenOut(BaseModel):
    id: str
    name: str
    token_prefix: str
    role: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str
    """The secret: shown this once, never again."""


@router.get("/me", response_model=MeOut, responses=ERRORS)
def me(user: ApiUser) -> MeOut:
    """Who is calling, for which tenant, in which role."""
    return MeOut(
        tenant_id=user.tenant_id,
        tenant_name=user.tenant_name,
        role=user.role,
        actor=user.actor,
        via=user.via,
        memberships=[MembershipOut(**m.__dict__) for m in user.memberships],
    )


@router.get("/tenants", response_model=list[MembershipOut], responses=ERRORS)
def list_employers(user: ApiUser) -> list[MembershipOut]:
    """The employers the caller works for (a token: only its own)."""
    if user.via == "token":
        return [
            MembershipOut(tenant_id=user.tenant_id, tenant_name=user.tenant_name, role=user.role)
        ]
    return [MembershipOut(**m.__dict__) for m in user.memberships]


@router.post("/tenants", response_model=MembershipOut, status_code=201, responses=ERRORS)
def create_employer(body: EmployerIn, user: ApiUser, engine: EngineDep) -> MembershipOut:
    """Add an employer, owned by the caller (an owner token: the owner who made it).

    Only an owner of some employer may; the new one starts empty, with that person as
    its only member, who invites colleagues there (console Settings, or a token of it).
    """
    with transaction(engine) as conn:
        if user.via == "token":
            if user.role != "owner":
                raise RoleForbidden(service.CREATE_EMPLOYER_REFUSED)
            owner_id = service.owner_behind_token(
                conn, tenant_id=user.tenant_id, token_id=user.id.removeprefix("token:")
            )
        else:
            owner_id = user.id
        created = service.create_employer(
            conn, name=body.name, owner_id=owner_id, actor=user.actor, now=utcnow()
        )
    return MembershipOut(**created.__dict__)


@router.get("/members", response_model=list[MemberOut], responses=ERRORS)
def list_members(user: ApiOwner, engine: EngineDep) -> list[MemberOut]:
    """The tenant's members and roles (owners only)."""
    with engine.connect() as conn:
        members = repo.members_of(conn, user.tenant_id)
    return [MemberOut(**m.__dict__) for m in members]


@router.post("/members", response_model=NewInvitationOut, status_code=201, responses=ERRORS)
def invite_member(
    body: InvitationIn, request: Request, user: ApiOwner, engine: EngineDep, settings: SettingsDep
) -> NewInvitationOut:
    """Invite someone to a role here; they join by opening ``accept_url`` (shown once).

    The answer is the same whether or not the address already has an account.
    """
    with transaction(engine) as conn:
        invitation, token = service.invite_member(
            conn,
            tenant_id=user.tenant_id,
            email=body.email,
            role=body.role,
            actor=user.actor,
            now=utcnow(),
        )
    return NewInvitationOut(
        **_invitation_fields(invitation),
        accept_url=invite_url(request, settings, token),
    )


@router.get("/invitations", response_model=list[InvitationOut], responses=ERRORS)
def list_invitations(user: ApiOwner, engine: EngineDep) -> list[InvitationOut]:
    """Invitations not yet accepted and not expired (owners only)."""
    with engine.connect() as conn:
        pending = repo.pending_invitations_of(conn, user.tenant_id, utcnow())
    return [InvitationOut(**_invitation_fields(i)) for i in pending]


@router.delete("/invitations/{invitation_id}", status_code=204, responses=ERRORS)
def withdraw_invitation(invitation_id: str, user: ApiOwner, engine: EngineDep) -> Response:
    """Withdraw an open invitation: its link stops working."""
    with transaction(engine) as conn:
        if not repo.withdraw_invitation(conn, user.tenant_id, invitation_id):
            raise ObjectNotFound("no such open invitation")
    return Response(status_code=204)


def _invitation_fields(invitation: Invitation) -> dict[str, Any]:
    keep = ("id", "email", "role", "invited_by", "created_at", "expires_at")
    return {k: getattr(invitation, k) for k in keep}


@router.put("/members/{user_id}", response_model=MemberOut, responses=ERRORS)
def change_member(user_id: str, body: RoleIn, user: ApiOwner, engine: EngineDep) -> MemberOut:
    """Change a member's role (one owner always stays)."""
    with transaction(engine) as conn:
        service.change_member(
            conn,
            tenant_id=user.tenant_id,
            user_id=user_id,
            role=body.role,
            actor=user.actor,
            now=utcnow(),
        )
        member = next(m for m in repo.members_of(conn, user.tenant_id) if m.user_id == user_id)
    return MemberOut(**member.__dict__)


@router.delete("/members/{user_id}", status_code=204, responses=ERRORS)
def remove_member(user_id: str, user: ApiOwner, engine: EngineDep) -> Response:
    """Remove someone from this tenant (their account stays for other tenants)."""
    with transaction(engine) as conn:
        service.change_member(
            conn,
            tenant_id=user.tenant_id,
            user_id=user_id,
            role=None,
            actor=user.actor,
            now=utcnow(),
        )
    return Response(status_code=204)


@router.get("/tokens", response_model=list[TokenOut], responses=ERRORS)
def list_tokens(user: ApiOwner, engine: EngineDep) -> list[TokenOut]:
    """The tenant's API tokens (their secrets are never shown again)."""
    with engine.connect() as conn:
        tokens = repo.api_tokens_of(conn, user.tenant_id)
    return [TokenOut(**t.__dict__) for t in tokens]


@router.post("/tokens", response_model=NewTokenOut, status_code=201, responses=ERRORS)
def create_token(body: TokenIn, user: ApiOwner, engine: EngineDep) -> NewTokenOut:
    """Make an API token with a role; the response holds its secret, once."""
    with transaction(engine) as conn:
        token, secret = service.create_api_token(
            conn,
            tenant_id=user.tenant_id,
            name=body.name,
            role=body.role,
            actor=user.actor,
            now=utcnow(),
        )
    fields = {k: v for k, v in token.__dict__.items() if k != "tenant_id"}
    return NewTokenOut(**fields, token=secret)


@router.delete("/tokens/{token_id}", status_code=204, responses=ERRORS)
def revoke_token(token_id: str, user: ApiOwner, engine: EngineDep) -> Response:
    """Revoke an API token at once."""
    with transaction(engine) as conn:
        service.revoke_api_token(
            conn, tenant_id=user.tenant_id, token_id=token_id, actor=user.actor, now=utcnow()
        )
    return Response(status_code=204)
