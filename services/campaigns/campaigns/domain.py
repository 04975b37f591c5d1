"""Pure rules of the campaigns service: no I/O, no framework, only values in and out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import ValidationError

from campaigns.errors import CampaignNotPublishable
from koers.events import CampaignPublished, PageSnapshot, VariantState

CampaignStatus = Literal["draft", "published", "paused"]
Role = Literal["owner", "editor", "viewer"]
ROLES: tuple[Role, ...] = ("owner", "editor", "viewer")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Variant:
    """One creative of a campaign; ``variant_id`` is the short key in landing links."""

    variant_id: str
    name: str
    channel: str
    creative_format: str
    hook: str
    live: bool = True


@dataclass(frozen=True)
class Campaign:
    id: str
    tenant_id: str
    slug: str
    name: str
    vacancy_title: str
    goal: str
    weekly_budget: Decimal
    status: CampaignStatus
    page: dict[str, Any]
    page_version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Publication:
    """The campaign as it is after publishing, and the event that announces it."""

    campaign: Campaign
    event: CampaignPublished


def publish_campaign(
    campaign: Campaign, variants: Sequence[Variant], *, now: datetime
) -> Publication:
    """Publish (or republish) a campaign: a new page version and its CampaignPublished.

    Refuses a campaign without a live variant, or whose page would not render (a quiz
    entry point without questions, a pass score no candidate can reach).
    """
    if not any(v.live for v in variants):
        raise CampaignNotPublishable(f"campaign {campaign.slug!r} has no live variant")
    page_version = campaign.page_version + 1
    quiz = campaign.page.get("quiz") or []
    if "quiz" in (campaign.page.get("entry_points") or []) and not quiz:
        raise CampaignNotPublishable("the quiz entry point needs at least one question")
    reachable = sum(max((o["score"] for o in q.get("options", [])), default=0) for q in quiz)
    if quiz and campaign.page.get("quiz_pass_score", 0) > reachable:
        raise CampaignNotPublishable(
            f"the quiz pass score {campaign.page.get('quiz_pass_score')} is above the "
            f"highest reachable score {reachable}"
        )
    try:
        event = CampaignPublished(
            slug=campaign.slug,
            name=campaign.name,
            goal=campaign.goal,  # type: ignore[arg-type]  # validated by the model
            weekly_budget=float(campaign.weekly_budget),
            page=PageSnapshot.model_validate({**campaign.page, "version": page_version}),
            variants=tuple(
                VariantState(
                    variant_id=v.variant_id,
                    name=v.name,
                    channel=v.channel,  # type: ignore[arg-type]
                    creative_format=v.creative_format,  # type: ignore[arg-type]
                    hook=v.hook,
                    live=v.live,
                )
                for v in variants
            ),
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5]
        )
        raise CampaignNotPublishable(
            f"campaign {campaign.slug!r} is incomplete: {problems}"
        ) from exc
    published = replace(campaign, status="published", page_version=page_version, updated_at=now)
    return Publication(campaign=published, event=event)


def campaign_audit_state(campaign: Campaign) -> dict[str, Any]:
    """What the audit log records about a campaign before and after a change."""
    return {"status": campaign.status, "page_version": campaign.page_version}


# --- spend ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DailySpend:
    """One variant's delivery on one day, as the ad platform reported it."""

    variant_id: str
    day: date
    spend: Decimal
    impressions: int
    clicks: int


def iso_week(day: date) -> str:
    """``2026-W07`` for any day of ISO week 7 of ISO year 2026."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def complete_weeks_before(today: date, count: int) -> list[date]:
    """The Mondays of the ``count`` complete ISO weeks before the week of ``today``."""
    this_monday = today - timedelta(days=today.weekday())
    return [this_monday - timedelta(weeks=n) for n in range(count, 0, -1)]


@dataclass(frozen=True)
class WeekSpend:
    week: str
    per_variant: dict[str, Decimal]
    total: Decimal
    impressions: int
    clicks: int


def spend_per_week(days: Iterable[DailySpend], variant_ids: Sequence[str]) -> list[WeekSpend]:
    """Spend per ISO week and variant (oldest week first); missing days count as zero."""
    weeks: dict[str, dict[str, Decimal]] = {}
    impressions: dict[str, int] = {}
    clicks: dict[str, int] = {}
    for day in days:
        week = iso_week(day.day)
        per_variant = weeks.setdefault(week, dict.fromkeys(variant_ids, Decimal(0)))
        per_variant[day.variant_id] = per_variant.get(day.variant_id, Decimal(0)) + day.spend
        impressions[week] = impressions.get(week, 0) + day.impressions
        clicks[week] = clicks.get(week, 0) + day.clicks
    return [
        WeekSpend(
            week=week,
            per_variant=per_variant,
            total=sum(per_variant.values(), Decimal(0)),
            impressions=impressions[week],
            clicks=clicks[week],
        )
        for week, per_variant in sorted(weeks.items())
    ]


# --- the funnel as analytics reports it ----------------------------------------------


@dataclass(frozen=True)
class FunnelCounts:
    visits: int = 0
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
