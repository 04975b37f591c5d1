"""The dashboard, allocation decisions and the leads inbox, as one router for ``main.py``.

One ``include_router`` line wires all of them and their lifespan (which closes the
clients they open).
"""

from __future__ import annotations

from fastapi import APIRouter

from campaigns import allocations, dashboard_console, leads_console
from campaigns.insight_deps import insight_lifespan


def insight_router() -> APIRouter:
    """A new router per app: routers hold no state, but each app closes its own clients."""
    router = APIRouter(lifespan=insight_lifespan)
    router.include_router(dashboard_console.router)
    router.include_router(allocations.router)
    router.include_router(leads_console.router)
    return router
