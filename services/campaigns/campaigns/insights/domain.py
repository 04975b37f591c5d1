"""The funnel as analytics reports it, and the console's funnel table (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from campaigns.catalog.domain import Variant

CENT = Decimal("0.01")


@dataclass(frozen=True)
class FunnelCounts:
    visits: int = 0
    unique_visitors: int = 0
    quiz_starts: int = 0
    lead_starts: int = 0
    apply_starts: int = 0
    quiz_completions: int = 0
    qualified_quiz: int = 0
    leads: int = 0
    applications: int = 0
    interviews: int = 0
    hires: int = 0
    spend: Decimal = Decimal(0)
    impressions: int = 0
    clicks: int = 0

    @property
    def entry_starts(self) -> int:
        return self.quiz_starts + self.lead_starts + self.apply_starts


@dataclass(frozen=True)
class VariantFunnel:
    variant_id: str
    totals: FunnelCounts
    weeks: dict[str, FunnelCounts] = field(default_factory=dict)


@dataclass(frozen=True)
class CampaignFunnel:
    campaign_id: str
    variants: tuple[VariantFunnel, ...]
    totals: FunnelCounts


@dataclass(frozen=True)
class FunnelRow:
    """One line of the console's funnel table."""

    variant_id: str
    label: str
    counts: FunnelCounts
    cost_per_lead: Decimal | None


def cost_per(spend: Decimal, conversions: int) -> Decimal | None:
    """Spend per conversion in cents precision; None when nothing converted yet."""
    if conversions <= 0:
        return None
    return (spend / conversions).quantize(CENT, rounding=ROUND_HALF_UP)


def funnel_rows(funnel: CampaignFunnel, variants: Sequence[Variant]) -> list[FunnelRow]:
    """Rows in the campaign's variant order; a variant analytics has not seen shows zeros."""
    by_id = {v.variant_id: v for v in funnel.variants}
    known = [v.variant_id for v in variants]
    extra = [v for v in by_id if v not in known]  # e.g. a variant removed since
    names = {v.variant_id: v.name for v in variants}
    rows = []
    for variant_id in [*known, *extra]:
        counts = by_id[variant_id].totals if variant_id in by_id else FunnelCounts()
        rows.append(
            FunnelRow(
                variant_id=variant_id,
                label=names.get(variant_id, variant_id),
                counts=counts,
                cost_per_lead=cost_per(counts.spend, counts.leads),
            )
        )
    return rows
