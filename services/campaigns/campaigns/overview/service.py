"""The employer's follow-up across its live campaigns: each campaign's next best actions
(the same pure rules as on its dashboard) ranked into one short list, speed to lead per
recruiter and channel across campaigns, and the leads waiting past the employer's target.

Gathered concurrently in two requests, whatever the number of live campaigns: their
funnels from analytics and their contact facts from landing, each bounded by a timeout
(one request per campaign and source, fifty campaigns on every page view, saturated both
services under a few marketers). A source that does not answer gives no advice from it
and counts each campaign as missing; the page and the memo still render.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import Engine

from campaigns.actions import repository as actions_repo
from campaigns.actions.domain import next_best_actions
from campaigns.actions.ranking import CampaignRef, EmployerActions, rank_employer_actions
from campaigns.catalog import repository as catalog_repo
from campaigns.catalog.domain import Campaign
from campaigns.insights.analytics_client import AnalyticsInsights, AnalyticsUnavailable
from campaigns.insights.domain import CampaignFunnel
from campaigns.leads import repository as followup_repo
from campaigns.leads.landing_client import (
    LandingClient,
    LandingRefused,
    LandingUnavailable,
    LeadContactFacts,
)
from campaigns.leads.speed import SpeedToLead, speed_to_lead
from campaigns.overview.cache import OverviewSources

SPEED_WINDOW = timedelta(days=90)
"""Speed to lead looks at the leads of the last 90 days (as the inbox does)."""
LIVE_CAMPAIGNS_READ = 50
"""Live campaigns whose facts the overview asks for, newest first."""

_T = TypeVar("_T")


@dataclass(frozen=True)
class OverdueLeads:
    """Leads of one campaign waiting longer than the target for a first contact."""

    campaign: CampaignRef
    count: int


@dataclass(frozen=True)
class EmployerFollowUp:
    actions: EmployerActions
    speed: SpeedToLead | None
    """Across the live campaigns whose contact facts came; None when none came."""
    overdue: tuple[OverdueLeads, ...]
    live_campaigns: int
    missing_funnels: int
    missing_contacts: int

    @property
    def overdue_total(self) -> int:
        return sum(o.count for o in self.overdue)


def _settle(future: Future[_T], deadline: float, *, shared: bool) -> tuple[bool, _T | None]:
    """(answered, value): a source that failed or did not answer by ``deadline`` (a
    ``time.monotonic`` value shared by every source, so the page waits once) did not.
    A read of this page alone that has not started is dropped; a ``shared`` one goes on
    for the other askers (and is kept for the next page view)."""
    try:
        return True, future.result(timeout=max(deadline - time.monotonic(), 0.0))
    except (AnalyticsUnavailable, LandingUnavailable, LandingRefused, FutureTimeout):
        if not shared:
            future.cancel()
        return False, None


def employer_follow_up(
    engine: Engine,
    *,
    tenant_id: str,
    analytics: AnalyticsInsights,
    landing: LandingClient,
    pool: ThreadPoolExecutor,
    now: datetime,
    timeout_s: float,
    sources: OverviewSources | None = None,
) -> EmployerFollowUp:
    """The employer's ranked next best actions, its speed to lead and overdue leads.

    ``sources`` keeps the follow-up, and what analytics and landing answered, for a short
    while (the console passes its own; the memo sender reads fresh)."""
    with engine.connect() as conn:
        live = catalog_repo.campaigns_of_tenant(
            conn, tenant_id, status="live", limit=LIVE_CAMPAIGNS_READ
        )

    def gather() -> EmployerFollowUp:
        return _gather(
            engine,
            live,
            tenant_id=tenant_id,
            analytics=analytics,
            landing=landing,
            pool=pool,
            now=now,
            timeout_s=timeout_s,
            sources=sources,
        )

    if sources is None:
        return gather()
    return sources.kept_or_compute(
        ("follow_up", tenant_id, tuple(c.id for c in live)),
        gather,
        keep=lambda found: not (found.missing_funnels or found.missing_contacts),
    )


def _gather(
    engine: Engine,
    live: list[Campaign],
    *,
    tenant_id: str,
    analytics: AnalyticsInsights,
    landing: LandingClient,
    pool: ThreadPoolExecutor,
    now: datetime,
    timeout_s: float,
    sources: OverviewSources | None,
) -> EmployerFollowUp:
    ids = [c.id for c in live]
    with engine.connect() as conn:
        settings = followup_repo.settings_of(conn, tenant_id)
        variants = catalog_repo.variants_of_campaigns(conn, ids)
        dismissed = actions_repo.dismissed_of(conn, ids)
    since = now - SPEED_WINDOW

    def read_funnels() -> dict[str, CampaignFunnel | None]:
        return analytics.campaign_funnels(tenant_id, ids)

    def read_facts() -> dict[str, tuple[LeadContactFacts, ...]]:
        answered = landing.tenant_contact_facts(tenant_id, ids, since)
        return {cid: facts.items for cid, facts in answered.items()}

    def ask(source: str, read: Callable[[], _T]) -> Future[_T]:
        if sources is None:
            return pool.submit(read)
        return sources.ask((source, tenant_id, tuple(ids)), read, pool)

    funnels: dict[str, CampaignFunnel | None] | None = {}
    contacts: dict[str, tuple[LeadContactFacts, ...]] | None = {}
    funnels_came = contacts_came = True
    if live:  # nothing to ask about an employer without live campaigns
        deadline = time.monotonic() + timeout_s
        funnels_asked = ask("funnels", read_funnels)
        facts_asked = ask("contact_facts", read_facts)
        funnels_settled = _settle(funnels_asked, deadline, shared=sources is not None)
        contacts_settled = _settle(facts_asked, deadline, shared=sources is not None)
        funnels_came, funnels = funnels_settled
        contacts_came, contacts = contacts_settled
    per_campaign = []
    every_fact: list[LeadContactFacts] = []
    overdue: list[OverdueLeads] = []
    for campaign in live:
        ref = CampaignRef(campaign.id, campaign.name, campaign.slug)
        funnel = (funnels or {}).get(campaign.id)
        facts = (contacts or {}).get(campaign.id)
        actions = next_best_actions(
            funnel=funnel,
            variants=variants[campaign.id],
            entry_points=tuple((campaign.page or {}).get("entry_points") or ()),
            contact_facts=facts,
            now=now,
            target_hours=settings.target_hours,
            dismissed=dismissed[campaign.id],
        )
        per_campaign.append((ref, actions))
        if facts is not None:
            every_fact.extend(facts)
            waiting = speed_to_lead(facts, now=now, target_hours=settings.target_hours).overdue
            if waiting:
                overdue.append(OverdueLeads(ref, len(waiting)))
    speed = (
        speed_to_lead(every_fact, now=now, target_hours=settings.target_hours)
        if contacts_came and live
        else None
    )
    return EmployerFollowUp(
        actions=rank_employer_actions(per_campaign),
        speed=speed,
        overdue=tuple(sorted(overdue, key=lambda o: (-o.count, o.campaign.name))),
        live_campaigns=len(live),
        missing_funnels=0 if funnels_came else len(live),
        missing_contacts=0 if contacts_came else len(live),
    )
