"""What the decisions tests share: a stored proposal, a fake analytics that answers with it,
and a fake delivery whose adapters count what reaches them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from campaigns.catalog import repository as catalog_repo
from campaigns.catalog.domain import Campaign
from campaigns.decisions import repository as repo
from campaigns.delivery import (
    AdPlatformAdapter,
    BudgetPlan,
    CsvBulkAdapter,
    PushChange,
    PushResult,
    dry_run,
)
from campaigns.demo import DEMO_SLUG
from campaigns.insights.analytics_client import (
    AllocationProposal,
    DataHealth,
    Decision,
    Insights,
)
from campaigns.insights.domain import CampaignFunnel
from koers.db import transaction

WEEK = "2026-W49"
PROPOSED = {"instagram": 400.0, "tiktok": 250.0, "linkedin": 200.0, "facebook": 150.0}


def demo_campaign(engine: Engine) -> Campaign:
    with engine.connect() as conn:
        campaigns = catalog_repo.campaigns_of_tenant(conn, _tenant(conn))
    return next(c for c in campaigns if c.slug == DEMO_SLUG)


def _tenant(conn: Connection) -> str:
    import sqlalchemy as sa

    return str(
        conn.execute(
            sa.select(catalog_repo.campaigns.c.tenant_id).where(
                catalog_repo.campaigns.c.slug == DEMO_SLUG
            )
        ).scalar_one()
    )


def store_proposal(
    engine: Engine, campaign: Campaign, at: datetime, allocation: dict[str, float] | None = None
) -> None:
    """The proposal as analytics' ``AllocationProposed`` leaves it in our database."""
    with transaction(engine) as conn:
        repo.upsert_allocation_proposal(
            conn,
            campaign_id=campaign.id,
            week=WEEK,
            payload={
                "week": WEEK,
                "budget": 1000.0,
                "allocation": allocation or PROPOSED,
                "p_best": {"instagram": 0.6, "tiktok": 0.2, "linkedin": 0.1, "facebook": 0.1},
                "explanation": ["instagram goes up €150.00 to €400.00: it is most likely best."],
            },
            event_id="7d7f1b9e-0000-4000-8000-000000000001",
            proposed_at=at,
            received_at=at,
        )


def proposal_of(
    campaign: Campaign, allocation: dict[str, float] | None = None
) -> AllocationProposal:
    return AllocationProposal(
        campaign_id=campaign.id,
        week=WEEK,
        budget=1000.0,
        allocation=allocation or PROPOSED,
        p_best={"instagram": 0.6, "tiktok": 0.2, "linkedin": 0.1, "facebook": 0.1},
        explanation=("instagram goes up €150.00 to €400.00: it is most likely best.",),
        warnings=(
            "facebook: last week brought 1 conversions where about 4.0 were expected "
            "— it may be tiring (fatigue).",
        ),
        reasons={
            "instagram": "60% chance of being the best creative; its share follows that chance."
        },
        expected_conversions=41.5,
        equal_split_expected_conversions=36.0,
        version=1,
    )


class FakeInsights:
    """Implements ``AnalyticsInsights``: one proposal per campaign and week, decisions kept."""

    def __init__(self) -> None:
        self.proposals: dict[tuple[str, str], AllocationProposal] = {}
        self.decisions: list[tuple[str, str, Decision]] = []

    def campaign_funnel(self, campaign_id: str) -> CampaignFunnel | None:
        return None

    def campaign_funnels(
        self, tenant_id: str, campaign_ids: Sequence[str]
    ) -> dict[str, CampaignFunnel | None]:
        return dict.fromkeys(campaign_ids)

    def data_health(self, campaign_id: str) -> DataHealth | None:
        return None

    def insights(self, campaign_id: str) -> Insights | None:
        return None

    def allocation(self, campaign_id: str, week: str) -> AllocationProposal | None:
        return self.proposals.get((campaign_id, week))

    def propose_allocation(self, campaign_id: str, week: str) -> AllocationProposal:
        return self.proposals[(campaign_id, week)]

    def decide_allocation(
        self, campaign_id: str, week: str, *, decision: Decision, decided_by: str, note: str
    ) -> AllocationProposal | None:
        found = self.proposals.get((campaign_id, week))
        if found is None:
            return None
        self.decisions.append((campaign_id, week, decision))
        decided = found.model_copy(update={"status": decision, "decided_by": decided_by})
        self.proposals[(campaign_id, week)] = decided
        return decided

    def close(self) -> None:
        pass


@dataclass
class CountingAdapter:
    """An ``AdPlatformAdapter`` that records every plan it is given."""

    name: str = "counting"
    pushed: list[BudgetPlan] = field(default_factory=list)

    def plan(self, plan: BudgetPlan) -> list[PushChange]:
        return CsvBulkAdapter().plan(plan)

    def push(self, plan: BudgetPlan, *, idempotency_key: str) -> PushResult:
        self.pushed.append(plan)
        result = CsvBulkAdapter().push(plan, idempotency_key=idempotency_key)
        return PushResult.of(self.name, idempotency_key, result.outcomes)


@dataclass
class FakeDelivery:
    """Implements ``decisions.service.Delivery``: the csv adapter and a counting one."""

    counting: CountingAdapter = field(default_factory=CountingAdapter)

    def adapters(self, conn: Connection, tenant_id: str) -> list[AdPlatformAdapter]:
        return [CsvBulkAdapter(), self.counting]


__all__ = ["Any", "dry_run"]
