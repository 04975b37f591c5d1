"""Names for the objects in audit rows, so a person reads "Zorg Groningen", not an id.

Rows name their object by id (older rows carry nothing else); the name is looked up when
the log is shown, in the tenant's own tables only, so one employer's log can never show
another's names. A name an entry recorded itself (``after``/``before`` ``name`` or
``summary``) wins over today's name; an object that no longer exists keeps a short id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Connection

from campaigns.audit.repository import AuditEntry
from campaigns.catalog.repository import campaigns, variants
from campaigns.spend.repository import spend_imports
from campaigns.tenancy.repository import api_tokens, invitations, memberships, users

OBJECT_LABELS = {
    "campaign": "Campaign",
    "creative": "Creative",
    "allocation": "Budget split",
    "membership": "Member",
    "invitation": "Invitation",
    "api_token": "API token",
    "spend_import": "Spend import",
    "lead": "Lead",
    "tenant": "Employer",
    "memo": "Weekly memo",
}


@dataclass(frozen=True)
class ObjectName:
    """How an audit row's object reads: its kind, its name, and whether the name is known."""

    kind: str
    name: str
    known: bool


def _short(object_id: str) -> str:
    return object_id if len(object_id) <= 12 else f"…{object_id[-8:]}"


def _recorded(entry: AuditEntry) -> str | None:
    for state in (entry.after, entry.before):
        if state:
            for key in ("summary", "name"):
                value = state.get(key)
                if isinstance(value, str) and value.strip():
                    return value
    return None


def _pairs(conn: Connection, query: sa.Select[str, str]) -> dict[str, str]:
    return {key: value for key, value in conn.execute(query)}


def object_names(
    conn: Connection, tenant_id: str, entries: Iterable[AuditEntry]
) -> dict[int, ObjectName]:
    """Per entry id, its object's kind and name, looked up within ``tenant_id`` only."""
    entries = list(entries)
    ids_by_type: dict[str, set[str]] = {}
    for entry in entries:
        ids_by_type.setdefault(entry.object_type, set()).add(entry.object_id)

    def campaign_ids(type_: str) -> set[str]:
        return {i.split(":", 1)[0] for i in ids_by_type.get(type_, set())}

    wanted_campaigns = (
        ids_by_type.get("campaign", set()) | campaign_ids("creative") | campaign_ids("allocation")
    )
    imports: dict[str, tuple[str, str]] = {}
    if ids_by_type.get("spend_import"):
        imports = {
            row.id: (row.campaign_id, row.file_name)
            for row in conn.execute(
                sa.select(
                    spend_imports.c.id, spend_imports.c.campaign_id, spend_imports.c.file_name
                )
                .where(spend_imports.c.tenant_id == tenant_id)
                .where(spend_imports.c.id.in_(ids_by_type["spend_import"]))
            )
        }
        wanted_campaigns |= {campaign_id for campaign_id, _ in imports.values()}

    campaign_names: dict[str, str] = {}
    if wanted_campaigns:
        campaign_names = _pairs(
            conn,
            (
                sa.select(campaigns.c.id, campaigns.c.name)
                .where(campaigns.c.tenant_id == tenant_id)
                .where(campaigns.c.id.in_(wanted_campaigns))
            ),
        )
    creative_names: dict[str, str] = {}
    if ids_by_type.get("creative") and campaign_names:
        creative_names = {
            f"{campaign_id}:{variant_id}": name
            for campaign_id, variant_id, name in conn.execute(
                # campaign_names holds only this tenant's campaigns: no other tenant's creatives
                sa.select(variants.c.campaign_id, variants.c.variant_id, variants.c.name).where(
                    variants.c.campaign_id.in_(campaign_names)
                )
            )
        }
    member_emails: dict[str, str] = {}
    if ids_by_type.get("membership"):
        member_emails = _pairs(
            conn,
            (
                sa.select(users.c.id, users.c.email)
                .join(memberships, memberships.c.user_id == users.c.id)
                .where(memberships.c.tenant_id == tenant_id)
                .where(users.c.id.in_(ids_by_type["membership"]))
            ),
        )
    invitation_emails: dict[str, str] = {}
    if ids_by_type.get("invitation"):
        invitation_emails = _pairs(
            conn,
            (
                sa.select(invitations.c.id, invitations.c.email)
                .where(invitations.c.tenant_id == tenant_id)
                .where(invitations.c.id.in_(ids_by_type["invitation"]))
            ),
        )
    token_names: dict[str, str] = {}
    if ids_by_type.get("api_token"):
        token_names = _pairs(
            conn,
            (
                sa.select(api_tokens.c.id, api_tokens.c.name)
                .where(api_tokens.c.tenant_id == tenant_id)
                .where(api_tokens.c.id.in_(ids_by_type["api_token"]))
            ),
        )

    def looked_up(entry: AuditEntry) -> str | None:
        kind, object_id = entry.object_type, entry.object_id
        if kind == "campaign":
            return campaign_names.get(object_id)
        if kind == "creative":
            creative = creative_names.get(object_id)
            campaign = campaign_names.get(object_id.split(":", 1)[0])
            return f"{creative} ({campaign})" if creative and campaign else creative
        if kind == "allocation":
            campaign_id, _, week = object_id.partition(":")
            campaign = campaign_names.get(campaign_id)
            return f"{campaign}, {week}" if campaign and week else campaign
        if kind == "spend_import" and object_id in imports:
            campaign_id, file_name = imports[object_id]
            campaign = campaign_names.get(campaign_id)
            return f"{file_name} ({campaign})" if campaign else file_name
        if kind == "membership":
            return member_emails.get(object_id)
        if kind == "invitation":
            return invitation_emails.get(object_id)
        if kind == "api_token":
            return token_names.get(object_id)
        return None

    names: dict[int, ObjectName] = {}
    for entry in entries:
        kind = OBJECT_LABELS.get(
            entry.object_type, entry.object_type.replace("_", " ").capitalize()
        )
        name = _recorded(entry) or looked_up(entry)
        names[entry.id] = ObjectName(kind, name or _short(entry.object_id), name is not None)
    return names
