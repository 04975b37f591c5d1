"""The campaigns service's settings (one typed object, read from the environment)."""

from __future__ import annotations

import logging
import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr

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
    # The scheduled jobs (the console's jobs page). With an Airflow URL the console shows
    # and triggers Airflow's DAGs; without one, in development, the jobs run in-process
    # (EmbeddedScheduler), and only the process started with run_scheduled_jobs on (the
    # Procfile's console) runs the Monday schedule, so no two processes run it twice.
    airflow_url: str = Field("", validation_alias="KOERS_AIRFLOW_URL")
    airflow_username: str = Field("", validation_alias="KOERS_AIRFLOW_USERNAME")
    airflow_password: str = Field("", validation_alias="KOERS_AIRFLOW_PASSWORD")
    airflow_timeout_s: float = Field(10.0, gt=0, validation_alias="KOERS_AIRFLOW_TIMEOUT_S")
    run_scheduled_jobs: bool = Field(False, validation_alias="KOERS_CAMPAIGNS_RUN_SCHEDULED_JOBS")
    # The weekly memo by e-mail: smtp://user:password@host:587 (STARTTLS when offered) or
    # smtps://host:465. Empty: the memo page offers the HTML to download instead.
    smtp_url: SecretStr = Field(SecretStr(""), validation_alias="KOERS_CAMPAIGNS_SMTP_URL")
    memo_from: str = Field("koers@localhost", validation_alias="KOERS_CAMPAIGNS_MEMO_FROM")

    @property
    def cookies_secure(self) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.environment == "production"

    @property
    def embedded_jobs(self) -> bool:
        """Whether the scheduled jobs run in-process: no Airflow, and not in production
        (production runs Airflow; several replicas must not each run the jobs)."""
        return not self.airflow_url and self.environment != "production"

    def secrets(self) -> dict[str, str]:
        found = {**super().secrets(), "KOERS_CAMPAIGNS_SECRET_KEY": self.secret_key}
        if self.airflow_url:  # Airflow's login is only needed where Airflow is used
            found["KOERS_AIRFLOW_USERNAME"] = self.airflow_username
            found["KOERS_AIRFLOW_PASSWORD"] = self.airflow_password
        return found

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
