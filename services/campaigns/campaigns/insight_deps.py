"""Wiring for the dashboard and the leads inbox: their clients, chart cache and pool.

The clients are built from settings the first time a request needs them (so an app
started without its lifespan, as some tests do, still works) and closed when the app
shuts down (:func:`insight_lifespan`, merged into the app's by the router). When the
app was given an analytics client that already speaks the dashboard's interface, that
one is used, so there is one connection pool per process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

from cachetools import TTLCache
from fastapi import Depends, FastAPI, Request
from sqlalchemy import Connection

from campaigns import repository as repo
from campaigns.analytics_client import AnalyticsInsights, HttpAnalyticsClient
from campaigns.charts import ChartCache
from campaigns.config import Settings
from campaigns.deps import User
from campaigns.domain import Campaign
from campaigns.errors import CampaignNotFound
from campaigns.landing_client import HttpLandingClient, LandingClient

LANDING_TIMEOUT_S = 3.0
CHART_CACHE_ENTRIES = 1024
# Insights and data health: analytics caches them itself until its facts change and
# answers a repeat in milliseconds; this short hold only spares a burst of page loads.
SLOW_ANSWER_TTL_S = 10.0
FETCH_WORKERS = 8  # concurrent calls to analytics per process (four per dashboard page)

_LOCK = threading.Lock()
_T = TypeVar("_T")
_MISSING = object()


def _once(app: FastAPI, name: str, build: Callable[[], _T]) -> _T:
    """``app.state.<name>``, built on first use (thread-safe)."""
    found: _T | None = getattr(app.state, name, None)
    if found is not None:
        return found
    with _LOCK:
        found = getattr(app.state, name, None)
        if found is None:
            found = build()
            setattr(app.state, name, found)
            app.state.insight_owned = [*getattr(app.state, "insight_owned", []), name]
        return found


def _settings(app: FastAPI) -> Settings:
    settings: Settings = app.state.settings
    return settings


def get_insight_analytics(request: Request) -> AnalyticsInsights:
    app: FastAPI = request.app
    given = getattr(app.state, "analytics", None)
    if isinstance(given, AnalyticsInsights):
        return given

    def build() -> AnalyticsInsights:
        settings = _settings(app)
        return HttpAnalyticsClient(
            settings.analytics_url, settings.service_token, timeout_s=settings.analytics_timeout_s
        )

    return _once(app, "insight_analytics", build)


def get_landing(request: Request) -> LandingClient:
    app: FastAPI = request.app

    def build() -> LandingClient:
        settings = _settings(app)
        return HttpLandingClient(
            settings.landing_url, settings.service_token, timeout_s=LANDING_TIMEOUT_S
        )

    return _once(app, "landing", build)


class AnswerCache:
    """Slow-moving answers of another service, kept for ``ttl_s`` seconds (thread-safe).

    Only answers are kept: an outage is asked again on the next request. ``clock`` is
    injectable for tests.
    """

    def __init__(
        self, ttl_s: float, *, max_entries: int = 2048, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self._entries: TTLCache[tuple[str, str], Any] = TTLCache(max_entries, ttl_s, timer=clock)
        self._lock = threading.Lock()

    def get_or_ask(self, key: tuple[str, str], ask: Callable[[], _T]) -> _T:
        with self._lock:
            found = self._entries.get(key, _MISSING)
        if found is not _MISSING:
            value: _T = found
            return value
        answer = ask()
        with self._lock:
            self._entries[key] = answer
        return answer


def get_answer_cache(request: Request) -> AnswerCache:
    return _once(request.app, "insight_answers", lambda: AnswerCache(SLOW_ANSWER_TTL_S))


def get_chart_cache(request: Request) -> ChartCache:
    return _once(request.app, "chart_cache", lambda: ChartCache(CHART_CACHE_ENTRIES))


def get_fetch_pool(request: Request) -> ThreadPoolExecutor:
    return _once(
        request.app,
        "insight_pool",
        lambda: ThreadPoolExecutor(FETCH_WORKERS, thread_name_prefix="insight-fetch"),
    )


InsightAnalyticsDep = Annotated[AnalyticsInsights, Depends(get_insight_analytics)]
LandingDep = Annotated[LandingClient, Depends(get_landing)]
ChartCacheDep = Annotated[ChartCache, Depends(get_chart_cache)]
AnswerCacheDep = Annotated[AnswerCache, Depends(get_answer_cache)]
FetchPoolDep = Annotated[ThreadPoolExecutor, Depends(get_fetch_pool)]


@asynccontextmanager
async def insight_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Close what this module built for the app, when the app stops."""
    yield
    for name in getattr(app.state, "insight_owned", []):
        owned: Any = getattr(app.state, name, None)
        if isinstance(owned, ThreadPoolExecutor):
            owned.shutdown(wait=False, cancel_futures=True)
        elif owned is not None and hasattr(owned, "close"):
            owned.close()
        setattr(app.state, name, None)
    app.state.insight_owned = []


# --- shared checks ------------------------------------------------------------------------


def tenant_campaign(conn: Connection, user: User, slug: str) -> Campaign:
    """The user's tenant's campaign ``slug``; another tenant's is simply not found."""
    campaign = repo.campaign_by_slug(conn, user.tenant_id, slug)
    if campaign is None:
        raise CampaignNotFound(f"There is no campaign {slug!r} in {user.tenant_name}.")
    return campaign
