"""Settings of the delivery package (to be folded into ``campaigns.config.Settings``).

Environment names follow the service's ``KOERS_CAMPAIGNS_`` prefix. The delivery key
is a secret: required in production, named by ``check_production_secrets`` when absent.
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from koers.settings import KoersSettings


class DeliverySettings(KoersSettings):
    delivery_key: SecretStr = Field(SecretStr(""), validation_alias="KOERS_CAMPAIGNS_DELIVERY_KEY")
    """Fernet key(s) that encrypt the tenants' ad-platform tokens, comma-separated, newest
    first (older keys still decrypt, so keys can be rotated). Make one with
    ``cryptography.fernet.Fernet.generate_key()``."""
    meta_api_base_url: str = Field(
        "https://graph.facebook.com", validation_alias="KOERS_CAMPAIGNS_META_API_BASE_URL"
    )
    meta_api_version: str = Field("v23.0", validation_alias="KOERS_CAMPAIGNS_META_API_VERSION")
    meta_timeout_s: float = Field(10.0, gt=0, validation_alias="KOERS_CAMPAIGNS_META_TIMEOUT_S")
    meta_max_attempts: int = Field(5, ge=1, validation_alias="KOERS_CAMPAIGNS_META_MAX_ATTEMPTS")
    """Attempts per call, the first included, before a change counts as failed."""
    meta_max_wait_s: float = Field(300.0, gt=0, validation_alias="KOERS_CAMPAIGNS_META_MAX_WAIT_S")
    """The longest single back-off, even when Meta asks to wait longer (the push then
    fails as retryable rather than holding a worker for an hour)."""

    def secrets(self) -> dict[str, str]:
        return {
            **super().secrets(),
            "KOERS_CAMPAIGNS_DELIVERY_KEY": self.delivery_key.get_secret_value(),
        }
