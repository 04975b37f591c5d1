"""Pure rules of tenancy: roles and what each may do, members' e-mail addresses, and
invitations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from email_validator import EmailNotValidError, validate_email

Role = Literal["owner", "marketer", "recruiter", "viewer"]
ROLES: tuple[Role, ...] = ("owner", "marketer", "recruiter", "viewer")

Permission = Literal["view", "edit_campaigns", "work_leads", "export_leads", "manage_tenant"]

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    "owner": frozenset({"view", "edit_campaigns", "work_leads", "export_leads", "manage_tenant"}),
    "marketer": frozenset({"view", "edit_campaigns", "work_leads", "export_leads"}),
    "recruiter": frozenset({"view", "work_leads", "export_leads"}),
    "viewer": frozenset({"view"}),
}


def roles_with(permission: Permission) -> tuple[Role, ...]:
    """The roles holding ``permission``, strongest first."""
    return tuple(role for role in ROLES if permission in ROLE_PERMISSIONS[role])


def can(role: str, permission: Permission) -> bool:
    return role in ROLE_PERMISSIONS and permission in ROLE_PERMISSIONS[role]  # type: ignore[index]


EMAIL_MAX_LENGTH = 320


def normalise_email(raw: str) -> str:
    """``raw`` as a member's address in canonical lower case; ValueError (a message for
    the form) when it is not a valid address."""
    candidate = raw.strip()
    if len(candidate) > EMAIL_MAX_LENGTH:
        raise ValueError("That e-mail address is too long.")
    try:
        found = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError("Please enter a valid e-mail address, such as name@employer.nl.") from exc
    return found.normalized.lower()


INVITATION_VALID_FOR = timedelta(days=7)


@dataclass(frozen=True)
class Invitation:
    """An offer of a role in a tenant, which the invitee accepts with a one-time link."""

    id: str
    tenant_id: str
    tenant_name: str
    email: str
    role: str
    invited_by: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None

    def usable(self, now: datetime) -> bool:
        return self.accepted_at is None and now < self.expires_at
