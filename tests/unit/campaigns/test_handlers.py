from __future__ import annotations

from datetime import timedelta

import pytest
from campaigns_testkit import NOW
from sqlalchemy import Engine

from campaigns.demo import DEMO_SLUG, DEMO_TENANT
from campaigns.handlers import store_allocation_proposal
from campaigns.seed import SeedResult
from koers.db import transaction
from koers.events import AllocationProposed, Envelope, InvalidEvent, new_envelope
from tests.support import campaigns_db as repo

pytestmark = pytest.mark.unit


def demo_ids(engine: Engine) -> tuple[str, str]:
    with engine.connect() as conn:
        tenant_id = repo.tenant_id_by_name(conn, DEMO_TENANT)
        assert tenant_id is not None
        campaign = repo.campaign_by_slug(conn, tenant_id, DEMO_SLUG)
        assert campaign is not None
    return tenant_id, campaign.id


def proposal(tenant_id: str, campaign_id: str, tiktok_share: float, minutes: int) -> Envelope:
    return new_envelope(
        AllocationProposed(
            week="2026-W48",
            budget=1000.0,
            allocation={"tiktok": tiktok_share, "instagram": 1 - tiktok_share},
            p_best={"tiktok": 0.7, "instagram": 0.3},
            explanation=("TikTok brought the cheapest leads three weeks in a row.",),
        ),
        source="analytics",
        tenant_id=tenant_id,
        campaign_id=campaign_id,
        occurred_at=NOW + timedelta(minutes=minutes),
    )


def apply(engine: Engine, envelope: Envelope) -> None:
    with transaction(engine) as conn:
        store_allocation_proposal(conn, envelope)


def stored(engine: Engine, campaign_id: str) -> dict[str, object] | None:
    with engine.connect() as conn:
        return repo.allocation_proposal(conn, campaign_id, "2026-W48")


def test_a_proposal_is_kept_per_campaign_and_week(engine: Engine, seeded: SeedResult) -> None:
    tenant_id, campaign_id = demo_ids(engine)

    apply(engine, proposal(tenant_id, campaign_id, 0.6, minutes=0))
    apply(engine, proposal(tenant_id, campaign_id, 0.65, minutes=10))

    kept = stored(engine, campaign_id)
    assert kept is not None and kept["allocation"] == {"tiktok": 0.65, "instagram": 0.35}


def test_an_older_proposal_arriving_late_does_not_replace_a_newer_one(
    engine: Engine, seeded: SeedResult
) -> None:
    tenant_id, campaign_id = demo_ids(engine)

    apply(engine, proposal(tenant_id, campaign_id, 0.65, minutes=10))
    apply(engine, proposal(tenant_id, campaign_id, 0.6, minutes=0))

    kept = stored(engine, campaign_id)
    assert kept is not None and kept["allocation"]["tiktok"] == 0.65  # type: ignore[index]


def test_a_proposal_for_an_unknown_or_foreign_campaign_is_invalid(
    engine: Engine, seeded: SeedResult
) -> None:
    tenant_id, campaign_id = demo_ids(engine)
    with pytest.raises(InvalidEvent, match="unknown campaign"):
        apply(engine, proposal(tenant_id, "no-such-campaign", 0.5, minutes=0))
    with pytest.raises(InvalidEvent, match="not of tenant"):
        apply(engine, proposal("someone-else", campaign_id, 0.5, minutes=0))
    assert stored(engine, campaign_id) is None
