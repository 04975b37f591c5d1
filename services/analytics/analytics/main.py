"""The composition root of the analytics web app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from analytics import allocate_api, allocations_api, api, catalog_api, facts_api, insights_api
from analytics.config import Settings
from koers.db import make_engine, ping
from koers.web import broker_check, install_web_chassis, service_token_checker

SERVICE = "analytics"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app, its engine and checks from settings (the environment by default)."""
    settings = settings or Settings()
    settings.check_production_secrets()
    engine = make_engine(settings.database_url)

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
    app.include_router(api.router)
    app.include_router(allocate_api.router)
    app.include_router(facts_api.router)
    app.include_router(insights_api.router)
    app.include_router(allocations_api.router)
    app.include_router(catalog_api.router)
    return app
