"""Gathering the facts the next best actions need, and dismissing one (audited)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine

from campaigns.actions import repository
from campaigns.actions.domain import Action, next_best_actions
from campaigns.audit import repository as audit
from campaigns.catalog.domain import Campaign, Variant
from campaigns.insights.domain import CampaignFunnel
from campaigns.leads import repository as followup
from campaigns.leads.landing_client import (
    LandingClient,
    LandingRefused,
    LandingUnavailable,
    LeadContactFacts,
)
from koers.db import transaction

COLD_LOOKBACK = timedelta(days=60)
"""Leads older than this are no longer "going cold": they are gone."""


def campaign_actions(
    engine: Engine,
    landing: LandingClient,
    campaign: Campaign,
    *,
    funnel: CampaignFunnel | None,
    variants: Sequence[Variant],
    now: datetime,
) -> list[Action]:
    """The campaign's next best actions from what can be read now; landing not answering
    only drops the follow-up advice."""
    with engine.connect() as conn:
        dismissed = repository.dismissed(conn, campaign.id)
        settings = followup.settings_of(conn, campaign.tenant_id)
    facts: tuple[LeadContactFacts, ...] | None
    try:
        facts = landing.contact_facts(campaign.tenant_id, campaign.id, now - COLD_LOOKBACK).items
    except (LandingUnavailable, LandingRefused):
        facts = None
    entry_points = tuple((campaign.page or {}).get("entry_points") or ())
    return next_best_actions(
        funnel=funnel,
        variants=variants,
        entry_points=entry_points,
        contact_facts=facts,
        now=now,
        target_hours=settings.target_hours,
        dismissed=dismissed,
    )


def dismiss_action(
    engine: Engine, campaign: Campaign, key: str, reason: str, *, actor: str, now: datetime
) -> None:
    with transaction(engine) as conn:
        repository.dismiss(conn, campaign.id, key, reason, by=actor, at=now)
        audit.record(
            conn,
            tenant_id=campaign.tenant_id,
            actor=actor,
            action="next_action_dismissed",
            object_type="campaign",
            object_id=campaign.id,
            before=None,
            after={"action": key, "reason": reason},
            at=now,
        )
