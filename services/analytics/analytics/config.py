"""The analytics service's settings (environment variables, typed, read once)."""

from __future__ import annotations

from pydantic import Field

from koers.settings import KoersSettings


class Settings(KoersSettings):
    database_url: str = Field(
        "sqlite:///var/analytics.db", validation_alias="KOERS_ANALYTICS_DATABASE_URL"
    )
