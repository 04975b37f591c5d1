"""The composition root of analytics: every process builds its engine and wiring here.

``create_app(settings)`` builds the web app with its engine and checks; ``run_consumer``
and ``run_relay`` build the worker processes (``koers-analytics consume`` / ``relay``).
Nothing is built at import time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from analytics.config import Settings
from analytics.facts.handlers import CONSUMED_TOPICS, GROUP_ID, HANDLERS
from koers import workers
from koers.db import make_engine, ping
from koers.web import broker_check, install_web_chassis, service_token_checker

SERVICE = "analytics"


def database_engine(settings: Settings) -> Engine:
    """The engine of the analytics database (one per process)."""
    return make_engine(settings.database_url)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app, its engine and checks from settings (the environment by default)."""
    # The routers import the statistics (scipy, statsmodels): imported here, not above,
    # so the consumer and relay processes start without loading them.
    from analytics.catalog import api as catalog_api
    from analytics.facts import api as facts_api
    from analytics.facts import funnel_api
    from analytics.insights import api as insights_api
    from analytics.proposals import allocate_api
    from analytics.proposals import api as allocations_api

    settings = settings or Settings()
    settings.check_production_secrets()
    engine = database_engine(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="Koers analytics",
        version="0.1.0",
        description="Weekly funnel facts per campaign creative, for the console and the "
        "weekly allocation. Every `/v1` route needs `Authorization: Bearer <service token>`.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.check_service_token = service_token_checker(settings.service_token)
    install_web_chassis(
        app,
        service=SERVICE,
        checks={
            "database": lambda: ping(engine),
            "broker": broker_check(settings.kafka_bootstrap_servers),
        },
        degraded_ok=frozenset({"broker"}),  # the API reads only the database
        body_limits={"/v1/allocate": 64 * 1024 * 1024},  # up to 1,000,000 history rows
    )
    app.include_router(funnel_api.router)
    app.include_router(allocate_api.router)
    app.include_router(facts_api.router)
    app.include_router(insights_api.router)
    app.include_router(allocations_api.router)
    app.include_router(catalog_api.router)
    return app


def run_consumer(settings: Settings) -> None:
    """Apply candidate events, delivery, campaign state and lead outcomes until stopped."""
    workers.run_consumer(
        database_engine(settings),
        settings,
        group_id=GROUP_ID,
        topics=CONSUMED_TOPICS,
        handlers=HANDLERS,
    )


def run_relay(settings: Settings) -> None:
    """Publish the analytics outbox to Kafka until stopped."""
    workers.run_relay(database_engine(settings), settings, SERVICE)
