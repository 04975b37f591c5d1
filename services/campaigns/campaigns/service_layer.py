"""Use cases: each takes the caller's transaction and writes its change, the audit row
and the outbox events together, so they commit or roll back as one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from campaigns import repository as repo
from campaigns.auth import hash_password, needs_rehash, verify_password
from campaigns.domain import (
    Campaign,
    DailySpend,
    Variant,
    campaign_audit_state,
    publish_campaign,
)
from campaigns.errors import CampaignNotFound
from koers.events import Envelope, SpendRecorded, new_envelope
from koers.messaging.outbox import add_to_outbox

SOURCE = "campaigns"


def authenticate(conn: Connection, email: str, password: str) -> str | None:
    """The user id when the e-mail and password match, else None."""
    user = repo.user_by_email(conn, email.strip().lower())
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return None
    if needs_rehash(user.password_hash):
        repo.set_password_hash(conn, user.id, hash_password(password))
    user_id: str = user.id
    return user_id


def create_user(
    conn: Connection, *, tenant_id: str, email: str, password: str, role: str, now: datetime
) -> str:
    user_id = str(uuid.uuid4())
    repo.add_user(
        conn,
        user_id=user_id,
        tenant_id=tenant_id,
        email=email.strip().lower(),
        password_hash=hash_password(password),
        role=role,
        created_at=now,
    )
    return user_id


@dataclass(frozen=True)
class NewCampaign:
    slug: str
    name: str
    vacancy_title: str
    goal: str
    weekly_budget: Decimal
    page: dict[str, Any]
    variants: Sequence[Variant]


def create_campaign(
    conn: Connection, *, tenant_id: str, new: NewCampaign, actor: str, now: datetime
) -> Campaign:
    """A draft campaign with its variants; nothing is announced until it is published."""
    campaign = Campaign(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        slug=new.slug,
        name=new.name,
        vacancy_title=new.vacancy_title,
        goal=new.goal,
        weekly_budget=new.weekly_budget,
        status="draft",
        page=new.page,
        page_version=0,
        created_at=now,
        updated_at=now,
    )
    repo.add_campaign(conn, campaign)
    repo.add_variants(conn, campaign.id, new.variants)
    _audit(conn, campaign, actor, "create", None, campaign_audit_state(campaign), now)
    return campaign


def publish(conn: Connection, *, tenant_id: str, slug: str, actor: str, now: datetime) -> Envelope:
    """Publish a campaign: new status and page version, audit row and CampaignPublished."""
    campaign = repo.campaign_by_slug(conn, tenant_id, slug)
    if campaign is None:
        raise CampaignNotFound(f"no campaign {slug!r}")
    publication = publish_campaign(campaign, repo.variants_of(conn, campaign.id), now=now)
    repo.save_campaign_state(conn, publication.campaign)
    _audit(
        conn,
        campaign,
        actor,
        "publish",
        campaign_audit_state(campaign),
        campaign_audit_state(publication.campaign),
        now,
    )
    envelope = new_envelope(
        publication.event,
        source=SOURCE,
        tenant_id=campaign.tenant_id,
        campaign_id=campaign.id,
        occurred_at=now,
    )
    add_to_outbox(conn, envelope)
    return envelope


def record_spend(
    conn: Connection,
    *,
    campaign: Campaign,
    days: Sequence[DailySpend],
    import_id: str,
    actor: str,
    now: datetime,
) -> list[Envelope]:
    """Store imported delivery figures and announce each day as SpendRecorded."""
    repo.upsert_spend_days(conn, campaign.id, days, import_id)
    envelopes = [
        new_envelope(
            SpendRecorded(
                variant_id=day.variant_id,
                day=day.day,
                spend=float(day.spend),
                impressions=day.impressions,
                clicks=day.clicks,
                import_id=import_id,
            ),
            source=SOURCE,
            tenant_id=campaign.tenant_id,
            campaign_id=campaign.id,
            occurred_at=now,
        )
        for day in days
    ]
    add_to_outbox(conn, *envelopes)
    total = sum((d.spend for d in days), Decimal(0))
    _audit(
        conn,
        campaign,
        actor,
        "record_spend",
        None,
        {"import_id": import_id, "days": len(days), "spend": str(total)},
        now,
    )
    return envelopes


def _audit(
    conn: Connection,
    campaign: Campaign,
    actor: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> None:
    repo.add_audit_entry(
        conn,
        tenant_id=campaign.tenant_id,
        actor=actor,
        action=action,
        entity="campaign",
        entity_id=campaign.id,
        before=before,
        after=after,
        at=now,
    )
