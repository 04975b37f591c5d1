"""Dependencies the routes declare: the database engine, the service-token guard and the
campaign id path parameter. The engine is the one ``create_app`` built (``app.state``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

# Only documents the scheme in OpenAPI ("Authorize" in /docs); the check is the chassis'.
_bearer = HTTPBearer(auto_error=False, description="The shared service token.")


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def require_service_token(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Refuse the request (401) unless it carries the service token."""
    request.app.state.check_service_token(request)


EngineDep = Annotated[Engine, Depends(get_engine)]
CampaignId = Annotated[str, Path(min_length=1, max_length=64, examples=["c-1"])]
