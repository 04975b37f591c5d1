"""Results grouped by the campaigns' structured audience choices (``catalog.audience``).

Pure: campaigns and their funnel totals come in, one row per choice comes out. A
campaign with several regions counts in each of them (the rows then overlap, and the
page says so); a campaign without any choice of the grouping lands in "Not set".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from campaigns.catalog.audience import GROUPINGS
from campaigns.catalog.domain import Campaign
from campaigns.insights.domain import FunnelCounts, cost_per

NOT_SET = "Not set"


@dataclass(frozen=True)
class GroupRow:
    key: str
    label: str
    campaigns: tuple[Campaign, ...]
    visits: int
    leads: int
    applications: int
    spend: Decimal
    complete: bool
    """Whether every campaign's figures were known (analytics may not have answered)."""

    @property
    def cost_per_lead(self) -> Decimal | None:
        return cost_per(self.spend, self.leads)


def group_campaigns(
    campaigns: Sequence[Campaign],
    totals: Mapping[str, FunnelCounts | None],
    grouping: str,
) -> list[GroupRow]:
    """One row per choice that has campaigns, in the choices' order, "Not set" last."""
    field, labels = GROUPINGS[grouping]
    members: dict[str, list[Campaign]] = {}
    for campaign in campaigns:
        for key in getattr(campaign, field) or ("",):
            members.setdefault(key, []).append(campaign)
    ordered = [key for key in labels if key in members] + ([""] if "" in members else [])
    rows = []
    for key in ordered:
        group = members[key]
        known = [totals.get(c.id) for c in group]
        counts = [c for c in known if c is not None]
        rows.append(
            GroupRow(
                key=key or "none",
                label=labels.get(key, NOT_SET) if key else NOT_SET,
                campaigns=tuple(group),
                visits=sum(c.visits for c in counts),
                leads=sum(c.leads for c in counts),
                applications=sum(c.applications for c in counts),
                spend=sum((c.spend for c in counts), Decimal(0)),
                complete=len(counts) == len(group),
            )
        )
    return rows
