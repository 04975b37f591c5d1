"""A landing app on a fresh, migrated database (SQLite, or PostgreSQL when
``KOERS_TEST_DATABASE_URL`` is set), with a frozen clock and pages published through the
real consumer handlers: for tests outside ``tests/unit/landing`` (the security suite)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from koers.db import make_engine, migrate, transaction
from koers.events import (
    CampaignPublished,
    PageSnapshot,
    Payload,
    QuizOption,
    QuizQuestion,
    VariantState,
    new_envelope,
)
from landing.cli import MIGRATIONS_DIR
from landing.config import Settings
from landing.handlers import handlers
from landing.main import create_app

SERVICE_TOKEN = "security-test-service-token"
USER_AGENT = "Mozilla/5.0 (KoersSecurityPhone)"
SLUG = "klantenservice-utrecht"
CAMPAIGN_ID = "cmp-1"
TENANT_ID = "acme"


@dataclass
class FrozenClock:
    now: datetime = field(default_factory=lambda: datetime(2025, 3, 12, 9, 30, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def campaign(slug: str = SLUG, version: int = 1, **page: Any) -> CampaignPublished:
    """A page with all three entry points and a two-question quiz; ``page`` overrides
    snapshot fields (media URLs, for example)."""
    snapshot: dict[str, Any] = {
        "version": version,
        "employer_name": "Acme Zorgverzekeringen",
        "headline": "Word klantenservicemedewerker in Utrecht",
        "intro": "Help klanten verder.",
        "entry_points": ("quiz", "lead", "apply"),
        "quiz": (
            QuizQuestion(
                question="Hoeveel uur per week wil je werken?",
                options=(QuizOption(label="24-32", score=5), QuizOption(label="8", score=1)),
            ),
            QuizQuestion(
                question="Help je graag mensen?",
                options=(QuizOption(label="Ja", score=5), QuizOption(label="Nee", score=0)),
            ),
        ),
        "quiz_pass_score": 8,
        **page,
    }
    return CampaignPublished(
        slug=slug,
        name="Klantenservice Utrecht",
        weekly_budget=700,
        page=PageSnapshot(**snapshot),
        variants=(
            VariantState(
                variant_id="v-video",
                name="Video collega",
                channel="tiktok",
                creative_format="video",
                hook="Een dag als klantenheld",
            ),
        ),
    )


@dataclass
class LandingApp:
    engine: sa.Engine
    client: TestClient
    clock: FrozenClock
    settings: Settings

    def publish(
        self, payload: Payload, campaign_id: str = CAMPAIGN_ID, tenant_id: str = TENANT_ID
    ) -> None:
        """Apply a campaign-state event exactly as the consumer does (its handlers, with
        this app's public host, in one transaction)."""
        envelope = new_envelope(
            payload, source="campaigns", tenant_id=tenant_id, campaign_id=campaign_id
        )
        own_hosts = self.settings.media_policy().own_hosts
        with transaction(self.engine) as conn:
            for handler in handlers(own_hosts)[envelope.type]:
                handler(conn, envelope)

    def count(self, table: sa.Table) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    def open_form(self, entry_point: str, slug: str = SLUG, **query: str) -> str:
        """Open a form straight from an ad link; returns its form token."""
        response = self.client.get(f"/j/{slug}/{entry_point}", params=query)
        assert response.status_code == 200, response.text
        return form_token(response.text)


@contextmanager
def landing_app(
    database_url: str, tmp_path: Path, *, raise_server_exceptions: bool = True, **overrides: Any
) -> Iterator[LandingApp]:
    """The app on ``database_url`` (migrated here); no fill time, rate limit or page
    cache unless ``overrides`` set them. ``raise_server_exceptions=False``: a 500 is
    answered (and logged) as in production instead of raised in the test."""
    migrate(database_url, MIGRATIONS_DIR)
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": "security-test-secret-key",
        "service_token": SERVICE_TOKEN,
        "kafka_bootstrap_servers": "127.0.0.1:1",
        "cv_dir": tmp_path / "cvs",
        "min_fill_seconds": 0,
        "rate_limit_per_minute": 0,
        "page_cache_seconds": 0,
        **overrides,
    }
    settings = Settings(**values)
    clock = FrozenClock()
    engine = make_engine(database_url)
    try:
        app = create_app(settings, clock=clock)
        with TestClient(
            app,
            headers={"user-agent": USER_AGENT},
            raise_server_exceptions=raise_server_exceptions,
        ) as client:
            yield LandingApp(engine=engine, client=client, clock=clock, settings=settings)
    finally:
        engine.dispose()


def form_token(html: str) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', html)
    assert match, "the page has no form token"
    return match.group(1)


def lead_data(token: str, **extra: str) -> dict[str, str]:
    return {
        "form_token": token,
        "name": "Sanne de Vries",
        "phone": "06 12345678",
        "contact_channel": "whatsapp",
        "consent": "yes",
        **extra,
    }


def apply_data(token: str, **extra: str) -> dict[str, str]:
    return {
        "form_token": token,
        "name": "Sanne de Vries",
        "phone": "06 12345678",
        "email": "sanne@example.nl",
        "consent": "yes",
        **extra,
    }


def minimal_pdf(text: str = "Curriculum vitae") -> bytes:
    """A small, valid one-page PDF (written by pypdf, so it really parses)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
