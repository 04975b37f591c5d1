"""The campaigns service's settings (one typed object, read from the environment)."""

from __future__ import annotations

import logging
import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field

from campaigns.delivery.settings import DeliverySettings

log = logging.getLogger(__name__)

SERVICE = "campaigns"
"""How the service names itself: in its events' ``source``, its logs and its workers."""


class Settings(DeliverySettings):
    """The service's settings; the ad-platform delivery ones (``KOERS_CAMPAIGNS_DELIVERY_KEY``,
    the Meta API's URL, version, timeout and retries) come from ``DeliverySettings``."""

    database_url: str = Field(
        "sqlite:///var/campaigns.db", validation_alias="KOERS_CAMPAIGNS_DATABASE_URL"
    )
    # Signs the console's session cookie. Required in production; see session_secret.
    secret_key: str = Field("", validation_alias="KOERS_CAMPAIGNS_SECRET_KEY")
    console_url: str = Field("http://127.0.0.1:8000", validation_alias="KOERS_CAMPAIGNS_URL")
    analytics_url: str = Field("http://127.0.0.1:8002", validation_alias="KOERS_ANALYTICS_URL")
    landing_url: str = Field("http://127.0.0.1:8001", validation_alias="KOERS_LANDING_URL")
    demo_password: str = Field("", validation_alias="KOERS_DEMO_PASSWORD")
    var_dir: Path = Field(Path("var"), validation_alias="KOERS_VAR_DIR")
    analytics_timeout_s: float = Field(2.0, validation_alias="KOERS_ANALYTICS_TIMEOUT_S")
    # Secure session cookie (named ``__Host-...``, sent over HTTPS only). Defaults to on in
    # production; a laptop serving plain http://127.0.0.1 needs it off.
    secure_cookies: bool | None = Field(None, validation_alias="KOERS_CAMPAIGNS_SECURE_COOKIES")

    @property
    def cookies_secure(self) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.environment == "production"

    def secrets(self) -> dict[str, str]:
        return {**super().secrets(), "KOERS_CAMPAIGNS_SECRET_KEY": self.secret_key}

    @cached_property
    def session_secret(self) -> str:
        """The key that signs sessions; in development an empty key gets a random one.

        A per-process random key means sessions do not survive a restart and are not
        shared between processes, which is acceptable on a laptop and only there.
        """
        if self.secret_key:
            return self.secret_key
        if self.environment == "production":  # check_production_secrets catches this first
            raise RuntimeError("KOERS_CAMPAIGNS_SECRET_KEY is required in production")
        log.warning(
            "KOERS_CAMPAIGNS_SECRET_KEY is empty: using a random per-process key; "
            "console sessions end when the process restarts"
        )
        return secrets.token_urlsafe(32)
