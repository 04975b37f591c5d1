"""Typed dependencies of the insight pages over what ``create_app`` built: the analytics
clients, the chart and answer caches and the pool that asks analytics concurrently."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

from fastapi import Depends, Request

from campaigns.insights.analytics_client import AnalyticsClient, AnalyticsInsights
from campaigns.insights.cache import AnswerCache
from campaigns.insights.charts import ChartCache

CHART_CACHE_ENTRIES = 1024
# Insights and data health: analytics caches them itself until its facts change and
# answers a repeat in milliseconds; this short hold only spares a burst of page loads.
SLOW_ANSWER_TTL_S = 10.0
FETCH_WORKERS = 8  # concurrent calls to analytics per process (four per dashboard page)


def get_analytics(request: Request) -> AnalyticsClient:
    client: AnalyticsClient = request.app.state.analytics
    return client


def get_insight_analytics(request: Request) -> AnalyticsInsights:
    client: AnalyticsInsights = request.app.state.insight_analytics
    return client


def get_chart_cache(request: Request) -> ChartCache:
    cache: ChartCache = request.app.state.chart_cache
    return cache


def get_answer_cache(request: Request) -> AnswerCache:
    cache: AnswerCache = request.app.state.insight_answers
    return cache


def get_fetch_pool(request: Request) -> ThreadPoolExecutor:
    pool: ThreadPoolExecutor = request.app.state.insight_pool
    return pool


AnalyticsDep = Annotated[AnalyticsClient, Depends(get_analytics)]
InsightAnalyticsDep = Annotated[AnalyticsInsights, Depends(get_insight_analytics)]
ChartCacheDep = Annotated[ChartCache, Depends(get_chart_cache)]
AnswerCacheDep = Annotated[AnswerCache, Depends(get_answer_cache)]
FetchPoolDep = Annotated[ThreadPoolExecutor, Depends(get_fetch_pool)]
