"""The employer's follow-up (next best actions, speed to lead) as a typed dependency of
the pages that show it whole: the weekly memo, its e-mail preview and its sending."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from campaigns.insights.deps import FetchPoolDep, InsightAnalyticsDep
from campaigns.leads.deps import LandingDep
from campaigns.overview.cache import OverviewSources
from campaigns.overview.service import EmployerFollowUp, employer_follow_up
from campaigns.tenancy.deps import ConsoleUser
from campaigns.web.deps import ClockDep, EngineDep, SettingsDep


def get_overview_sources(request: Request) -> OverviewSources:
    sources: OverviewSources = request.app.state.overview_sources
    return sources


OverviewSourcesDep = Annotated[OverviewSources, Depends(get_overview_sources)]


def get_employer_follow_up(
    user: ConsoleUser,
    engine: EngineDep,
    settings: SettingsDep,
    analytics: InsightAnalyticsDep,
    landing: LandingDep,
    pool: FetchPoolDep,
    clock: ClockDep,
    sources: OverviewSourcesDep,
) -> EmployerFollowUp:
    return employer_follow_up(
        engine,
        tenant_id=user.tenant_id,
        analytics=analytics,
        landing=landing,
        pool=pool,
        now=clock(),
        timeout_s=settings.analytics_timeout_s + 1.0,
        sources=sources,
    )


EmployerFollowUpDep = Annotated[EmployerFollowUp, Depends(get_employer_follow_up)]
