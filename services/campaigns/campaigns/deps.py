"""Dependency wiring for the routes: typed ``Annotated`` aliases over app state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from campaigns import repository as repo
from campaigns.analytics_client import AnalyticsClient
from campaigns.auth import SESSION_USER
from campaigns.config import Settings
from campaigns.errors import LoginRequired, NotAuthenticated


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_analytics(request: Request) -> AnalyticsClient:
    client: AnalyticsClient = request.app.state.analytics
    return client


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
AnalyticsDep = Annotated[AnalyticsClient, Depends(get_analytics)]


@dataclass(frozen=True)
class User:
    id: str
    tenant_id: str
    tenant_name: str
    email: str
    role: str


def session_user(request: Request, engine: Engine) -> User | None:
    """The logged-in user, or None (no session, or the user no longer exists)."""
    user_id = request.session.get(SESSION_USER)
    if not isinstance(user_id, str):
        return None
    with engine.connect() as conn:
        row = repo.user_by_id(conn, user_id)
    if row is None:
        request.session.clear()
        return None
    return User(
        id=row.id,
        tenant_id=row.tenant_id,
        tenant_name=row.tenant_name,
        email=row.email,
        role=row.role,
    )


def console_user(request: Request, engine: EngineDep) -> User:
    user = session_user(request, engine)
    if user is None:
        raise LoginRequired
    return user


def api_user(request: Request, engine: EngineDep) -> User:
    user = session_user(request, engine)
    if user is None:
        raise NotAuthenticated("log in to the console first; this API uses its session")
    return user


ConsoleUser = Annotated[User, Depends(console_user)]
ApiUser = Annotated[User, Depends(api_user)]
