"""Benchmarks' use cases: an owner opting in or out (audited), the weekly refresh that
recomputes every cell, and a campaign's figures placed against its cells."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Engine

from campaigns.audit import repository as audit
from campaigns.benchmarks import repository
from campaigns.benchmarks.domain import (
    SECTORS,
    CampaignFacts,
    ChannelTotals,
    Comparison,
    ContactWaits,
    Window,
    campaign_comparisons,
    employer_contributions,
    first_contact_waits,
    publish,
    window_before,
)
from campaigns.benchmarks.repository import Participation
from campaigns.catalog import repository as catalog_repo
from campaigns.catalog.domain import Campaign, Variant
from campaigns.errors import InvalidInput
from campaigns.insights.analytics_client import AnalyticsClient, AnalyticsUnavailable
from campaigns.insights.domain import CampaignFunnel
from campaigns.leads.landing_client import LandingClient, LandingRefused, LandingUnavailable
from campaigns.scheduling.weekly import WeeklyStep
from campaigns.web.i18n import N_
from koers.db import transaction
from koers.isoweeks import iso_week

log = logging.getLogger(__name__)


def set_participation(
    engine: Engine,
    tenant_id: str,
    *,
    opted_in: bool,
    sector: str,
    actor: str,
    now: datetime,
) -> Participation:
    """Opt the employer in (a sector is then required) or out. Leaving, or moving to
    another sector, withdraws the sector's published cells until the next refresh."""
    chosen = sector or None
    if chosen is not None and chosen not in SECTORS:
        raise InvalidInput(N_("Unknown sector."), {"sector": N_("one of the sectors listed")})
    if opted_in and chosen is None:
        raise InvalidInput(
            N_("Choose your sector to take part in the benchmarks."),
            {"sector": N_("the sector your vacancies are in")},
        )
    choice = Participation(opted_in=opted_in, sector=chosen)
    with transaction(engine) as conn:
        before = repository.participation_of(conn, tenant_id)
        if before == choice:
            return choice
        repository.save_participation(conn, tenant_id, choice, by=actor, at=now)
        if before.opted_in and before.sector and (not opted_in or before.sector != chosen):
            repository.withdraw_sector(conn, before.sector)
        audit.record(
            conn,
            tenant_id=tenant_id,
            actor=actor,
            action="benchmarks_joined" if opted_in else "benchmarks_left",
            object_type="tenant",
            object_id=tenant_id,
            before={"opted_in": before.opted_in, "sector": before.sector},
            after={"opted_in": choice.opted_in, "sector": choice.sector},
            at=now,
        )
    return choice


@dataclass(frozen=True)
class RefreshSummary:
    """What a refresh did (counts only: no employer and no figure is named)."""

    employers: int
    campaigns: int
    cells_shown: int
    cells_hidden: int
    weeks_from: str
    weeks_to: str

    def __str__(self) -> str:
        return (
            f"benchmarks {self.weeks_from}..{self.weeks_to}: {self.employers} employers, "
            f"{self.campaigns} campaigns, {self.cells_shown} cells shown, "
            f"{self.cells_hidden} withheld"
        )


def _campaign_facts(
    campaign: Campaign,
    variants: Sequence[Variant],
    analytics: AnalyticsClient,
    landing: LandingClient,
    since: datetime,
) -> CampaignFacts:
    return CampaignFacts(
        regions=campaign.target_regions,
        channel_of={v.variant_id: v.channel for v in variants},
        funnel=analytics.campaign_funnel(campaign.id),
        contact_facts=landing.contact_facts(campaign.tenant_id, campaign.id, since).items,
    )


def refresh_benchmarks(
    engine: Engine,
    analytics: AnalyticsClient,
    landing: LandingClient,
    *,
    week: str,
    now: datetime,
) -> RefreshSummary:
    """Recompute every cell over the whole weeks before ``week`` from the employers who
    take part, and replace the published ones in one transaction. A read that fails
    (analytics or landing unreachable) fails the refresh and keeps the cells published
    before: half an employer is no figure."""
    window = window_before(week)
    with engine.connect() as conn:
        taking_part = repository.participants(conn)
        campaigns = {
            tenant_id: [
                (c, catalog_repo.variants_of(conn, c.id))
                for c in catalog_repo.campaigns_of_tenant(conn, tenant_id)
                if c.status != "draft" and c.target_regions
            ]
            for tenant_id in taking_part
        }
    totals: list[ChannelTotals] = []
    waits: list[ContactWaits] = []
    counted = 0
    for tenant_id, sector in sorted(taking_part.items()):
        facts = [
            _campaign_facts(c, variants, analytics, landing, window.start)
            for c, variants in campaigns[tenant_id]
        ]
        counted += len(facts)
        found_totals, found_waits = employer_contributions(tenant_id, sector, facts, window=window)
        totals += found_totals
        waits += found_waits
    cells = publish(totals, waits, opted_in=set(taking_part))
    with transaction(engine) as conn:
        shown = repository.replace_cells(
            conn, cells, weeks_from=window.first_week, weeks_to=window.last_week, at=now
        )
    summary = RefreshSummary(
        employers=len(taking_part),
        campaigns=counted,
        cells_shown=shown,
        cells_hidden=len(cells) - shown,
        weeks_from=window.first_week,
        weeks_to=window.last_week,
    )
    log.info("koers: %s", summary)
    return summary


PanelState = Literal["not_taking_part", "no_region", "ready"]


@dataclass(frozen=True)
class BenchmarkPanel:
    """What the dashboard's benchmark panel shows for one campaign."""

    state: PanelState
    sector: str | None = None
    comparisons: tuple[Comparison, ...] = ()
    weeks_from: str | None = None
    weeks_to: str | None = None
    contact_unknown: bool = False
    """Landing could not be asked: time to contact is left out."""


def campaign_benchmarks(
    engine: Engine,
    landing: LandingClient,
    campaign: Campaign,
    *,
    funnel: CampaignFunnel | None,
    variants: Sequence[Variant],
    now: datetime,
) -> BenchmarkPanel:
    """The campaign against its cells. Only employers who take part see benchmarks:
    who gives, gets."""
    with engine.connect() as conn:
        choice = repository.participation_of(conn, campaign.tenant_id)
        snapshot = (
            repository.cells_of_sector(conn, choice.sector)
            if choice.opted_in and choice.sector
            else None
        )
    if snapshot is None or choice.sector is None:
        return BenchmarkPanel("not_taking_part")
    if not campaign.target_regions:
        return BenchmarkPanel("no_region", sector=choice.sector)
    window = (
        Window(snapshot.weeks_from, snapshot.weeks_to)
        if snapshot.weeks_from and snapshot.weeks_to
        else window_before(iso_week(now))
    )  # the campaign over the cells' own weeks
    waits: list[float] | None
    try:
        facts = landing.contact_facts(campaign.tenant_id, campaign.id, window.start).items
        waits = first_contact_waits(facts, window)
    except (LandingUnavailable, LandingRefused):
        waits = None
    comparisons = campaign_comparisons(
        sector=choice.sector,
        regions=campaign.target_regions,
        funnel=funnel,
        channel_of={v.variant_id: v.channel for v in variants},
        waits_hours=waits,
        cells=snapshot.cells,
        window=window,
    )
    return BenchmarkPanel(
        "ready",
        sector=choice.sector,
        comparisons=tuple(comparisons),
        weeks_from=window.first_week,
        weeks_to=window.last_week,
        contact_unknown=waits is None,
    )


BenchmarksRefresh = Callable[[str], RefreshSummary]
"""The refresh for one ISO week, wired to the app's clients; raises when it cannot read."""

REFRESH_FAILURES = (AnalyticsUnavailable, LandingUnavailable, LandingRefused)
"""What a refresh raises when analytics or landing cannot be read (the cells stay)."""


def benchmarks_refresh(
    engine: Engine,
    analytics: AnalyticsClient,
    landing: LandingClient,
    *,
    clock: Callable[[], datetime],
) -> BenchmarksRefresh:
    """:func:`refresh_benchmarks` wired once: the embedded weekly job's last step and the
    Airflow DAG's ``/internal/v1/weeks/{week}/benchmarks`` run this same callable."""

    def refresh(week: str) -> RefreshSummary:
        return refresh_benchmarks(engine, analytics, landing, week=week, now=clock())

    return refresh


def weekly_refresh(
    engine: Engine,
    analytics: AnalyticsClient,
    landing: LandingClient,
    *,
    clock: Callable[[], datetime],
) -> WeeklyStep:
    """The weekly job's last step: refresh the benchmarks over the weeks before its week.
    Analytics or landing not answering keeps last week's cells and is logged as an
    error; it does not fail a week whose budgets were planned and pushed."""
    refresh = benchmarks_refresh(engine, analytics, landing, clock=clock)

    def refresh_benchmarks_step(week: str) -> RefreshSummary | None:
        try:
            return refresh(week)
        except REFRESH_FAILURES as exc:
            log.error("koers: benchmarks not refreshed for %s, last cells kept: %s", week, exc)
            return None

    return refresh_benchmarks_step
