"""The landing service's settings (one typed object, read from the environment)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field

from koers.settings import KoersSettings
from landing.pages.domain import MediaPolicy


class Settings(KoersSettings):
    database_url: str = Field(
        "sqlite:///var/landing.db", validation_alias="KOERS_LANDING_DATABASE_URL"
    )
    # Signs the form, visit and receipt tokens; must be the same in every landing process.
    secret_key: str = Field("", validation_alias="KOERS_LANDING_SECRET_KEY")
    # CVs live here under random names: outside the package and anything served.
    cv_dir: Path = Field(Path("var/landing-cvs"), validation_alias="KOERS_LANDING_CV_DIR")
    # "database" keeps CVs in the landing database, which every replica reaches (more
    # than one landing process needs it); "folder" keeps them in ``cv_dir``.
    cv_storage: Literal["folder", "database"] = Field(
        "folder", validation_alias="KOERS_LANDING_CV_STORAGE"
    )
    # A person needs a few seconds from arriving to sending a form; bots do not.
    min_fill_seconds: float = Field(3.0, ge=0, validation_alias="KOERS_LANDING_MIN_FILL_SECONDS")
    # Per client IP, for form submissions only. 0 switches the limit off (benchmarks, and
    # load tests that send everything from 127.0.0.1).
    rate_limit_per_minute: float = Field(
        10.0, ge=0, validation_alias="KOERS_LANDING_RATE_LIMIT_PER_MINUTE"
    )
    rate_limit_burst: int = Field(20, ge=1, validation_alias="KOERS_LANDING_RATE_LIMIT_BURST")
    # Keep the buckets in the database so every landing process shares one limit (more
    # than one process needs it); otherwise each process keeps its own.
    rate_limit_shared: bool = Field(False, validation_alias="KOERS_LANDING_RATE_LIMIT_SHARED")
    # Where a deployment runs Redis (redis://host:6379/0), the shared limit lives there
    # instead of in the database; it takes precedence over ``rate_limit_shared``.
    redis_url: str = Field("", validation_alias="KOERS_LANDING_REDIS_URL")
    # How long a process may show a page before reading it again (a publish or pause
    # reaches candidates within this time).
    page_cache_seconds: float = Field(
        2.0, ge=0, validation_alias="KOERS_LANDING_PAGE_CACHE_SECONDS"
    )
    # Origins (https://cdn.example) an employer's images and videos may come from; the
    # CSP allows exactly these. Root-relative media URLs are always allowed.
    media_origins: tuple[str, ...] = Field((), validation_alias="KOERS_LANDING_MEDIA_ORIGINS")
    # Where candidates reach the landing pages (the same variable the console builds ad
    # links from). Nothing a page loads may point at this host: it would count as a visit,
    # a start or a lead of some campaign.
    public_url: str = Field("http://127.0.0.1:8001", validation_alias="KOERS_LANDING_URL")

    def media_policy(self) -> MediaPolicy:
        host = urlsplit(self.public_url).hostname
        return MediaPolicy(origins=self.media_origins, own_hosts=(host,) if host else ())

    def secrets(self) -> dict[str, str]:
        return {**super().secrets(), "KOERS_LANDING_SECRET_KEY": self.secret_key}
