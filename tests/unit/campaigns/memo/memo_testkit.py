"""What the memo tests share: the demo campaign's week with a stored proposal, and its
decision and push in the states a memo tells apart."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "decisions"))

from decisions_testkit import (
    WEEK,
    FakeDelivery,
    FakeInsights,
    demo_campaign,
    proposal_of,
    store_proposal,
)

from campaigns.decisions import repository as repo
from campaigns.decisions import service
from campaigns.delivery import PlatformIds
from koers.db import transaction

PROPOSED_AT = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)  # Monday 06:00 in Amsterdam
AFTER_PUSH = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)  # Monday 09:30 in Amsterdam


def approve(engine: Engine, *, at: datetime = PROPOSED_AT) -> None:
    campaign = demo_campaign(engine)
    with transaction(engine) as conn:
        service.record_decision(
            conn,
            campaign=campaign,
            week=WEEK,
            proposal=proposal_of(campaign),
            status="approved",
            amounts=None,
            actor="demo@koers.local",
            now=at,
        )


def push(engine: Engine) -> None:
    """Push what is due after the push time, every creative with its ad set id."""
    campaign = demo_campaign(engine)
    with transaction(engine) as conn:
        for n, variant in enumerate(("instagram", "tiktok", "linkedin", "facebook")):
            repo.save_platform_ids(conn, campaign.id, variant, PlatformIds(ad_set_id=f"1202{n}"))
        service.push_due(conn, AFTER_PUSH, delivery=FakeDelivery())


__all__ = ["WEEK", "FakeInsights", "demo_campaign", "proposal_of", "store_proposal"]
