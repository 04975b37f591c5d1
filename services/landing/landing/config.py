"""The landing service's settings (one typed object, read from the environment)."""

from __future__ import annotations

from pydantic import Field

from koers.settings import KoersSettings


class Settings(KoersSettings):
    database_url: str = Field(
        "sqlite:///var/landing.db", validation_alias="KOERS_LANDING_DATABASE_URL"
    )
    # Signs the form and visit tokens; must be the same in every landing process.
    secret_key: str = Field("", validation_alias="KOERS_LANDING_SECRET_KEY")

    def secrets(self) -> dict[str, str]:
        return {**super().secrets(), "KOERS_LANDING_SECRET_KEY": self.secret_key}
