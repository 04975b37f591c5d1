"""A fake analytics for the weekly job, and a scene of tenants and campaigns to plan.

``FakeProposals`` implements analytics' client interface (``AnalyticsInsights``) the way
analytics behaves: a proposal per campaign and week, the same one (same event) while the
facts stay the same, a new version when they change, a 409 for a campaign it cannot plan
and an outage for one it cannot be asked about.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import Engine

from campaigns.demo import DEMO_PAGE, DEMO_VARIANTS
from campaigns.insights.analytics_client import (
    AllocationProposal,
    AnalyticsRefused,
    AnalyticsUnavailable,
    DataHealth,
    Decision,
    Insights,
)
from campaigns.insights.domain import CampaignFunnel
from koers.db import transaction
from tests.support import campaigns_db as repo
from tests.support import campaigns_use_cases as service_layer

PROPOSED_AT = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


class FakeProposals:
    """Implements ``AnalyticsInsights``; only proposals have content."""

    def __init__(self) -> None:
        self.facts_version: dict[str, int] = {}
        self.refused: dict[str, str] = {}
        self.down: set[str] = set()
        self.stored: dict[tuple[str, str], AllocationProposal] = {}
        self.published: list[str] = []
        """Event ids analytics would have published, one per new proposal (version)."""
        self.asked: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def propose_allocation(self, campaign_id: str, week: str) -> AllocationProposal:
        with self._lock:
            self.asked.append((campaign_id, week))
            if campaign_id in self.down:
                raise AnalyticsUnavailable("ConnectError")
            if campaign_id in self.refused:
                raise AnalyticsRefused(409, self.refused[campaign_id])
            facts = self.facts_version.get(campaign_id, 1)
            stored = self.stored.get((campaign_id, week))
            if stored is not None and stored.version == facts:
                return stored
            event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{campaign_id}/{week}/v{facts}"))
            proposal = AllocationProposal(
                campaign_id=campaign_id,
                week=week,
                budget=1000.0,
                allocation={"instagram": 600.0 + facts, "tiktok": 400.0 - facts},
                p_best={"instagram": 0.7, "tiktok": 0.3},
                explanation=("Instagram brought more candidates per euro.",),
                version=facts,
                event_id=event_id,
                proposed_at=PROPOSED_AT,
            )
            self.stored[(campaign_id, week)] = proposal
            self.published.append(event_id)
            return proposal

    def allocation(self, campaign_id: str, week: str) -> AllocationProposal | None:
        return self.stored.get((campaign_id, week))

    def decide_allocation(
        self, campaign_id: str, week: str, *, decision: Decision, decided_by: str, note: str
    ) -> AllocationProposal | None:
        return None

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

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class Scene:
    amersfoort: str
    utrecht: str
    other_tenant: str
    draft: str


def add_campaign(
    engine: Engine, tenant_id: str, slug: str, name: str, *, publish: bool, now: datetime
) -> str:
    with transaction(engine) as conn:
        service_layer.create_campaign(
            conn,
            tenant_id=tenant_id,
            new=service_layer.NewCampaign(
                slug=slug,
                name=name,
                vacancy_title="Klantenservicemedewerker",
                goal="lead",
                weekly_budget=Decimal("1000.00"),
                page=DEMO_PAGE,
                variants=DEMO_VARIANTS,
            ),
            actor="marketer@example.nl",
            now=now,
        )
        if publish:
            service_layer.publish(
                conn, tenant_id=tenant_id, slug=slug, actor="marketer@example.nl", now=now
            )
        campaign = repo.campaign_by_slug(conn, tenant_id, slug)
    assert campaign is not None
    return campaign.id


def build_scene(engine: Engine, now: datetime) -> Scene:
    """Two employers: three live campaigns between them, and a draft."""
    with transaction(engine) as conn:
        repo.add_tenant(conn, "tenant-a", "Werkgever A")
        repo.add_tenant(conn, "tenant-b", "Werkgever B")
    return Scene(
        amersfoort=add_campaign(
            engine,
            "tenant-a",
            "callcenter-amersfoort",
            "Callcenter Amersfoort",
            publish=True,
            now=now,
        ),
        utrecht=add_campaign(
            engine, "tenant-a", "winkel-utrecht", "Winkel Utrecht", publish=True, now=now
        ),
        other_tenant=add_campaign(
            engine, "tenant-b", "magazijn-tilburg", "Magazijn Tilburg", publish=True, now=now
        ),
        draft=add_campaign(engine, "tenant-a", "nog-niet", "Nog niet live", publish=False, now=now),
    )


def table_rows(engine: Engine, table: sa.Table) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.select(table).order_by(*table.primary_key))]
