"""Typed dependencies over what ``create_app`` put in the app's state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from argon2 import PasswordHasher
from fastapi import Depends, Request
from sqlalchemy import Engine

from campaigns.config import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_clock(request: Request) -> Callable[[], datetime]:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock


def get_password_hasher(request: Request) -> PasswordHasher:
    hasher: PasswordHasher = request.app.state.password_hasher
    return hasher


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
PasswordHasherDep = Annotated[PasswordHasher, Depends(get_password_hasher)]
