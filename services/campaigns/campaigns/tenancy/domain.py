"""Pure rules of tenancy: roles and what each may do, and a key's failed logins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

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


@dataclass(frozen=True)
class LoginFailures:
    """Failed logins counted for one key (an account or an address)."""

    key: str
    failures: int
    first_failed_at: datetime
    locked_until: datetime | None
