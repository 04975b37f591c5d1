"""The landing client ``create_app`` built, as a typed dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from campaigns.leads.landing_client import LandingClient

LANDING_TIMEOUT_S = 3.0


def get_landing(request: Request) -> LandingClient:
    client: LandingClient = request.app.state.landing
    return client


LandingDep = Annotated[LandingClient, Depends(get_landing)]
