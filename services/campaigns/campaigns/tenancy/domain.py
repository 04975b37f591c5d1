"""Pure rules of tenancy: roles and what each may do, members' e-mail addresses, and
invitations."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

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


# --- employers -------------------------------------------------------------------------

EMPLOYER_NAME_MAX_LENGTH = 200
_UNSTORABLE = re.compile(r"[\x00-\x1f\x7f]")


def employer_name(raw: str) -> str:
    """``raw`` as an employer's name: trimmed, inner spaces single, NFC; ValueError (a
    message for the form) when empty, too long, or holding characters a database or a
    page would choke on (NUL and other control characters)."""
    # Tabs and line breaks are spacing (pasted from a spreadsheet); other control
    # characters are refused, not silently dropped.
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if _UNSTORABLE.search(name):
        raise ValueError("Use letters, digits and punctuation only (no control characters).")
    if not name:
        raise ValueError("Give the employer a name, such as Bakkerij Jansen.")
    if len(name) > EMPLOYER_NAME_MAX_LENGTH:
        raise ValueError(f"Use at most {EMPLOYER_NAME_MAX_LENGTH} characters.")
    return name


class HasRole(Protocol):
    @property
    def role(self) -> str: ...


def may_create_employers(memberships: Iterable[HasRole]) -> bool:
    """Who may add an employer: someone who owns at least one (an agency, or an employer
    starting a second brand). They become its owner; nothing of the employers they own
    already reaches the new one, so the rule guards against strangers, not data leaks.
    Marketers, recruiters and viewers ask an owner."""
    return any(m.role == "owner" for m in memberships)
