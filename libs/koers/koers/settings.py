"""The settings base every service's ``Settings`` extends.

Shared knobs have fixed environment names (``KOERS_KAFKA_BOOTSTRAP_SERVERS``...); each
service adds its own with a ``KOERS_<SERVICE>_`` prefix. Secrets have no defaults in
production: :meth:`KoersSettings.check_production_secrets` names what is missing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MissingSecret(RuntimeError):
    """A production secret is not set; the message names the variable."""


class KoersSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    environment: Literal["development", "production"] = Field(
        "development", validation_alias="KOERS_ENVIRONMENT"
    )
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", validation_alias="KOERS_KAFKA_BOOTSTRAP_SERVERS"
    )
    service_token: str = Field("", validation_alias="KOERS_SERVICE_TOKEN")
    log_level: str = Field("INFO", validation_alias="KOERS_LOG_LEVEL")
    log_format_choice: Literal["json", "text"] | None = Field(
        None, validation_alias="KOERS_LOG_FORMAT"
    )
    # Consumer group tuning: the broker's defaults (45 s sessions) make a group join take
    # ~20 s; these values get the first record in ~3 s (see DESIGN.md, facts).
    kafka_session_timeout_ms: int = Field(6000, validation_alias="KOERS_KAFKA_SESSION_TIMEOUT_MS")
    kafka_heartbeat_interval_ms: int = Field(
        1000, validation_alias="KOERS_KAFKA_HEARTBEAT_INTERVAL_MS"
    )
    # Verify record CRCs on consume (Kafka's default). Costly without the native
    # ``crc32c`` package; TCP and the broker's own checks still guard the bytes.

    # How often a relay checks that the broker still holds what it was sent (see
    # koers.messaging.relay); it also checks after every failed publish.
    relay_verify_interval_s: float = Field(
        60, gt=0, validation_alias="KOERS_RELAY_VERIFY_INTERVAL_S"
    )

    # How long the broker keeps a topic's messages (Kafka's retention.ms; 7 days is its
    # default and what deploy/k8s sets). Sent outbox rows are kept this long (to refill a
    # broker that lost data), consumers' dedup rows twice as long (koers.messaging).
    topic_retention_hours: float = Field(168, gt=0, validation_alias="KOERS_TOPIC_RETENTION_HOURS")

    @property
    def topic_retention(self) -> timedelta:
        return timedelta(hours=self.topic_retention_hours)

    @property
    def log_format(self) -> Literal["json", "text"]:
        """``KOERS_LOG_FORMAT`` if set; else JSON in production, one-line text elsewhere."""
        if self.log_format_choice is not None:
            return self.log_format_choice
        return "json" if self.environment == "production" else "text"

    def secrets(self) -> dict[str, str]:
        """Environment name -> value of every secret this service needs."""
        return {"KOERS_SERVICE_TOKEN": self.service_token}

    def check_production_secrets(self) -> None:
        if self.environment != "production":
            return
        missing = [name for name, value in self.secrets().items() if not value]
        if missing:
            raise MissingSecret(f"missing production secret(s): {', '.join(missing)}")
