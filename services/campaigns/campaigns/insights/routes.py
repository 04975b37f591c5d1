"""The dashboard page of a campaign and its charts (server-rendered HTML and SVG).

The page asks analytics four things at once (funnel, proposal, data health, insights);
each answer that does not come shows a notice in its own section while the rest of the
page renders. Charts are separate SVG requests: the page only records each chart's spec
(see :class:`~campaigns.insights.charts.ChartCache`), the chart request draws it once.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from campaigns.actions.service import campaign_actions
from campaigns.benchmarks.routes import panel_context
from campaigns.benchmarks.service import campaign_benchmarks
from campaigns.catalog import repository as catalog_repo
from campaigns.catalog.deps import TenantCampaign
from campaigns.catalog.domain import Campaign, Variant
from campaigns.decisions import repository as decisions_repo
from campaigns.decisions.domain import planned_week
from campaigns.errors import ObjectNotFound
from campaigns.insights.analytics_client import (
    AllocationProposal,
    AnalyticsInsights,
    AnalyticsUnavailable,
    DataHealth,
    Insights,
)
from campaigns.insights.cache import AnswerCache
from campaigns.insights.charts import ChartSpec
from campaigns.insights.dashboard import PLAN_WEEKS, DashboardView, build_dashboard
from campaigns.insights.deps import (
    AnswerCacheDep,
    ChartCacheDep,
    FetchPoolDep,
    InsightAnalyticsDep,
)
from campaigns.insights.domain import CampaignFunnel, FunnelCounts
from campaigns.insights.groups import group_campaigns
from campaigns.leads.deps import LandingDep
from campaigns.organic import repository as organic_repo
from campaigns.tenancy.deps import ConsoleUser
from campaigns.web.deps import ClockDep, EngineDep, SettingsDep
from campaigns.web.i18n import Gettext, gettext_for, untranslated
from campaigns.web.rendering import render
from campaigns.web.weeks import WeekQuery
from koers.events import utcnow
from koers.isoweeks import shift_week

router = APIRouter(include_in_schema=False)

SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"

_T = TypeVar("_T")
FetchState = Literal["ready", "none", "unavailable"]


@dataclass(frozen=True)
class Fetched(Generic[_T]):
    """An answer from analytics, or why there is none: nothing yet, or unreachable."""

    value: _T | None
    state: FetchState


@dataclass(frozen=True)
class DashboardData:
    funnel: Fetched[CampaignFunnel]
    proposal: Fetched[AllocationProposal]
    health: Fetched[DataHealth]
    insights: Fetched[Insights]


def _settle(future: Future[_T | None], timeout_s: float) -> Fetched[_T]:
    try:
        value = future.result(timeout=timeout_s)
    except (AnalyticsUnavailable, FutureTimeout):
        return Fetched(None, "unavailable")
    return Fetched(value, "none" if value is None else "ready")


def fetch_dashboard_data(
    pool: ThreadPoolExecutor,
    analytics: AnalyticsInsights,
    campaign_id: str,
    week: str,
    *,
    timeout_s: float,
    slow_answers: AnswerCache,
) -> DashboardData:
    """Ask analytics everything the page shows, concurrently.

    Insights (a model fit over every creative-week) and data health change only as weekly
    facts do, so their answers are kept for ``AnswerCache.ttl_s``; the funnel and the
    proposal (which a decision changes) are asked fresh every time.
    """

    def ask(call: Callable[[], _T | None]) -> Future[_T | None]:
        return pool.submit(call)

    funnel = ask(lambda: analytics.campaign_funnel(campaign_id))
    proposal = ask(lambda: analytics.allocation(campaign_id, week))
    health = ask(
        lambda: slow_answers.get_or_ask(
            ("health", campaign_id), lambda: analytics.data_health(campaign_id)
        )
    )
    insights = ask(
        lambda: slow_answers.get_or_ask(
            ("insights", campaign_id), lambda: analytics.insights(campaign_id)
        )
    )
    return DashboardData(
        funnel=_settle(funnel, timeout_s),
        proposal=_settle(proposal, timeout_s),
        health=_settle(health, timeout_s),
        insights=_settle(insights, timeout_s),
    )


def proposal_from_event(campaign_id: str, payload: dict[str, Any]) -> AllocationProposal:
    """A proposal that reached us as an AllocationProposed event (analytics' API aside)."""
    return AllocationProposal.model_validate({"campaign_id": campaign_id, **payload})


@dataclass(frozen=True)
class LoadedDashboard:
    campaign: Campaign
    variants: list[Variant]
    data: DashboardData
    view: DashboardView
    proposal_source: Literal["analytics", "event", "none"]


def load_dashboard(
    engine: Engine,
    campaign: Campaign,
    week: str,
    *,
    analytics: AnalyticsInsights,
    pool: ThreadPoolExecutor,
    timeout_s: float,
    slow_answers: AnswerCache,
    gettext: Gettext = untranslated,
) -> LoadedDashboard:
    with engine.connect() as conn:
        variants = catalog_repo.variants_of(conn, campaign.id)
        stored = decisions_repo.allocation_proposal(conn, campaign.id, week)
        since = shift_week(week, -PLAN_WEEKS)
        stored_proposals = decisions_repo.proposals_of_campaign(conn, campaign.id, since)
        decisions = decisions_repo.decisions_of_campaign(conn, campaign.id, since)
        organic_views = organic_repo.total_views(conn, campaign.id)
        cpm_cents = organic_repo.cpm_of(conn, campaign.tenant_id)
    proposals = {
        w: {str(k): float(v) for k, v in (payload.get("allocation") or {}).items()}
        for w, payload in stored_proposals.items()
    }
    approved = {
        w: {k: cents / 100 for k, cents in decision.amounts.items()}
        for w, decision in decisions.items()
        if decision.pushable
    }
    data = fetch_dashboard_data(
        pool, analytics, campaign.id, week, timeout_s=timeout_s, slow_answers=slow_answers
    )
    proposal = data.proposal.value
    source: Literal["analytics", "event", "none"] = "analytics" if proposal else "none"
    if proposal is None and stored is not None:
        proposal, source = proposal_from_event(campaign.id, stored), "event"
    view = build_dashboard(
        week=week,
        variants=variants,
        funnel=data.funnel.value,
        proposal=proposal,
        health=data.health.value,
        insights=data.insights.value,
        gettext=gettext,
        proposals=proposals,
        approved=approved,
        organic_views=organic_views,
        cpm_cents=cpm_cents,
    )
    return LoadedDashboard(campaign, variants, data, view, source)


GROUPED_CAMPAIGNS_MAX = 100
"""Campaigns whose figures a grouped insights page asks analytics for, newest first."""


@router.get("/insights", name="insights_index")
def insights_index(
    request: Request,
    user: ConsoleUser,
    engine: EngineDep,
    analytics: InsightAnalyticsDep,
    pool: FetchPoolDep,
    settings: SettingsDep,
    group: Annotated[Literal["audience", "region", "channel"] | None, Query()] = None,
) -> Response:
    """Insights start from a campaign, or from results grouped by who, where and channel."""
    with engine.connect() as conn:
        found = catalog_repo.campaigns_of_tenant(conn, user.tenant_id)
    order = {"live": 0, "paused": 1, "ended": 2, "draft": 3}
    found.sort(key=lambda c: order.get(c.status, 4))
    context: dict[str, Any] = {"campaigns": found, "group": group, "groups": []}
    if group is not None:
        measured = [c for c in found if c.status != "draft"][:GROUPED_CAMPAIGNS_MAX]
        totals = _funnel_totals(pool, analytics, measured, settings.analytics_timeout_s + 1.0)
        context["groups"] = group_campaigns(measured, totals, group)
        context["analytics_missing"] = sum(1 for c in measured if totals.get(c.id) is None)
    return render(request, "insights_index.html", context, user=user)


def _funnel_totals(
    pool: ThreadPoolExecutor,
    analytics: AnalyticsInsights,
    campaigns: list[Campaign],
    timeout_s: float,
) -> dict[str, FunnelCounts | None]:
    """Each campaign's funnel totals from analytics, None where it did not answer in time."""

    def totals(campaign_id: str) -> FunnelCounts | None:
        funnel = analytics.campaign_funnel(campaign_id)
        return None if funnel is None else funnel.totals

    futures = {c.id: pool.submit(totals, c.id) for c in campaigns}
    found: dict[str, FunnelCounts | None] = {}
    for campaign_id, future in futures.items():
        try:
            found[campaign_id] = future.result(timeout=timeout_s)
        except (AnalyticsUnavailable, FutureTimeout):  # shown as unknown, not a 500
            future.cancel()
            found[campaign_id] = None
    return found


@router.get("/campaigns/{slug}/dashboard", name="campaign_dashboard")
def campaign_dashboard(
    request: Request,
    slug: str,
    user: ConsoleUser,
    campaign: TenantCampaign,
    engine: EngineDep,
    settings: SettingsDep,
    analytics: InsightAnalyticsDep,
    cache: ChartCacheDep,
    pool: FetchPoolDep,
    slow_answers: AnswerCacheDep,
    landing: LandingDep,
    clock: ClockDep,
    week: WeekQuery = None,
) -> Response:
    """A campaign's funnel, costs, chances, budget, insights, health, weekly proposal,
    next best actions and its benchmark against other employers."""
    shown_week = week or planned_week(utcnow())
    loaded = load_dashboard(
        engine,
        campaign,
        shown_week,
        analytics=analytics,
        pool=pool,
        timeout_s=settings.analytics_timeout_s + 1.0,
        slow_answers=slow_answers,
        gettext=gettext_for(request, user),
    )
    chart_keys = {
        spec.name: cache.remember(loaded.campaign.id, spec) for spec in loaded.view.charts
    }
    context = {
        "campaign": loaded.campaign,
        "view": loaded.view,
        "data": loaded.data,
        "chart_keys": chart_keys,
        "proposal_source": loaded.proposal_source,
        "creative_names": {v.variant_id: v.name for v in loaded.variants},
        "can_decide": user.can("edit_campaigns"),
        "actions": campaign_actions(
            engine,
            landing,
            loaded.campaign,
            funnel=loaded.data.funnel.value,
            variants=loaded.variants,
            now=clock(),
        ),
        **panel_context(
            campaign_benchmarks(
                engine,
                landing,
                loaded.campaign,
                funnel=loaded.data.funnel.value,
                variants=loaded.variants,
                now=clock(),
            )
        ),
    }
    return render(request, "dashboard.html", context, user=user)


@router.get("/campaigns/{slug}/dashboard/charts/{name}.svg", name="dashboard_chart")
def dashboard_chart(
    request: Request,
    slug: str,
    name: str,
    user: ConsoleUser,
    campaign: TenantCampaign,
    engine: EngineDep,
    settings: SettingsDep,
    analytics: InsightAnalyticsDep,
    cache: ChartCacheDep,
    pool: FetchPoolDep,
    slow_answers: AnswerCacheDep,
    v: Annotated[str, Query(max_length=64)] = "",
    week: WeekQuery = None,
    size: Literal["wide", "narrow"] = "wide",
) -> Response:
    """One dashboard chart as SVG; ``v`` is the version the page linked, ``size`` narrow
    for a phone."""
    spec: ChartSpec | None = cache.issued(campaign.id, name, v) if v else None
    if spec is None:  # another process rendered the page, or the cache moved on
        loaded = load_dashboard(
            engine,
            campaign,
            week or planned_week(utcnow()),
            analytics=analytics,
            pool=pool,
            timeout_s=settings.analytics_timeout_s + 1.0,
            slow_answers=slow_answers,
            gettext=gettext_for(request, user),
        )
        spec = loaded.view.chart(name)
        if spec is None:
            raise ObjectNotFound(f"There is no {name!r} chart for this campaign right now.")
    etag = f'"{spec.digest()}"'
    headers = {
        "ETag": etag,
        # The URL carries the version: the same URL always means the same picture.
        "Cache-Control": "private, max-age=86400" if v == spec.digest() else "private, no-cache",
        # The SVG document styles itself inline; it runs no script and loads nothing.
        "Content-Security-Policy": SVG_CSP,
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    rendered = cache.render(spec, narrow=size == "narrow")
    return Response(rendered.svg, media_type="image/svg+xml", headers=headers)
