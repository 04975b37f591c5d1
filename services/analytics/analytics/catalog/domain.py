"""What analytics knows of a campaign and its creatives, from ``koers.campaign-state.v1``.

Plain frozen values the read side hands to the pure modules (facts, health, insights,
proposals): the campaign's goal, budget and guardrails, and each creative's attributes.
A variant seen only in facts (its state not arrived yet) has no attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from koers.events import CampaignGoal, Guardrails

GOAL_COUNTERS: dict[CampaignGoal, str] = {
    "lead": "leads",
    "application": "applications",
    "qualified_quiz": "qualified_quiz",
    "reached": "reached",
    "interview": "interviews",
    "hire": "hires",
}
"""The weekly_funnel counter that is the conversion of each campaign goal."""


@dataclass(frozen=True)
class CampaignState:
    campaign_id: str
    tenant_id: str
    slug: str
    name: str
    goal: CampaignGoal
    weekly_budget: Decimal
    status: str
    guardrails: Guardrails
    starts_on: date | None = None
    ends_on: date | None = None

    @property
    def conversion_counter(self) -> str:
        return GOAL_COUNTERS[self.goal]


@dataclass(frozen=True)
class VariantAttributes:
    """A creative as the marketer described it; what the insights explain results by."""

    variant_id: str
    name: str
    channel: str
    creative_format: str
    hook: str
    live: bool
    employee_generated: bool = False
    tags: tuple[str, ...] = ()
