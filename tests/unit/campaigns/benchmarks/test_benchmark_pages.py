"""Benchmarks in the console, against the real analytics and landing apps: an owner joins
in the settings (audited), the dashboard places the campaign against its cells with
intervals, a withheld cell says so, and who does not take part sees no benchmark."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from campaigns_testkit import DEMO_PASSWORD, NOW
from fastapi.testclient import TestClient
from insight_testkit import (
    HTML,
    SERVICE_TOKEN,
    add_landing_leads,
    add_person,
    analytics_app,
    apply_to_analytics,
    campaigns_outbox,
    candidate_events,
    csrf_from,
    landing_app,
    log_in,
    serve,
)
from sqlalchemy import Engine

from campaigns.audit import repository as audit
from campaigns.benchmarks import repository as benchmarks_repo
from campaigns.benchmarks.domain import Cell, CellKey
from campaigns.catalog import repository as catalog_repo
from campaigns.config import Settings
from campaigns.main import create_app
from campaigns.seed import SeedResult
from koers.db import transaction
from koers.events import SpendRecorded, new_envelope
from tests.support.passwords import FAST_PASSWORD_HASHER

pytestmark = pytest.mark.unit

SLUG = "demo-klantenservice"
VISITED = NOW - timedelta(days=9)  # 2026-W46


@dataclasses.dataclass(frozen=True)
class Stack:
    engine: Engine
    tenant_id: str
    campaign_id: str
    analytics_url: str
    landing_url: str


@pytest.fixture
def stack(
    make_migrated_database_url: Callable[[str], str],
    engine: Engine,
    seeded: SeedResult,
    tmp_path: Path,
) -> Iterator[Stack]:
    """The demo campaign in Utrecht, with Instagram spend and leads in analytics and its
    leads, each contacted after three hours, in landing."""
    with transaction(engine) as conn:
        campaign_id = conn.execute(
            sa.select(catalog_repo.campaigns.c.id).where(catalog_repo.campaigns.c.slug == SLUG)
        ).scalar_one()
        campaign = catalog_repo.campaign_by_id(conn, campaign_id)
        assert campaign is not None
        catalog_repo.save_campaign(conn, dataclasses.replace(campaign, target_regions=("utrecht",)))
    published = campaigns_outbox(engine)
    tenant_id = published[0].tenant_id
    where = {"tenant_id": tenant_id, "campaign_id": campaign_id}
    spend = new_envelope(
        SpendRecorded(
            variant_id="instagram",
            day=date(2026, 11, 14),
            spend=800,
            impressions=40_000,
            clicks=700,
            import_id="bench-import",
        ),
        source="campaigns",
        occurred_at=VISITED,
        **where,
    )
    leads = candidate_events(
        **where, variant_id="instagram", visited_at=VISITED, visits=200, leads=20, applications=0
    )
    analytics, analytics_engine = analytics_app(make_migrated_database_url("analytics"))
    apply_to_analytics(analytics_engine, [*published, spend, *leads])
    analytics_engine.dispose()
    landing, landing_engine = landing_app(make_migrated_database_url("landing"), tmp_path / "cv")
    from landing.contacts.service import record_contact

    for n, lead_id in enumerate(
        add_landing_leads(landing_engine, **where, variant_id="instagram", count=6, start=VISITED)
    ):
        record_contact(
            landing_engine,
            tenant_id,
            uuid.UUID(lead_id),
            kind="attempt",
            channel="whatsapp",
            at=VISITED + timedelta(minutes=n, hours=3),
            recruiter_id="recruiter-1",
        )
    landing_engine.dispose()
    with serve(analytics) as analytics_url, serve(landing) as landing_url:
        yield Stack(engine, tenant_id, campaign_id, analytics_url, landing_url)


def console(settings: Settings, stack: Stack) -> TestClient:
    configured = settings.model_copy(
        update={
            "analytics_url": stack.analytics_url,
            "landing_url": stack.landing_url,
            "service_token": SERVICE_TOKEN,
        }
    )
    return TestClient(create_app(configured, password_hasher=FAST_PASSWORD_HASHER))


def publish_cells(engine: Engine) -> None:
    """Cells as a refresh over W20-W47 left them: Instagram in Utrecht shown, TikTok not."""
    cost = CellKey("cost_per_lead", "zorg", "utrecht", "instagram")
    rate = CellKey("interview_rate", "zorg", "utrecht", "instagram")
    wait = CellKey("first_contact_hours", "zorg", "utrecht", "all")
    other = CellKey("cost_per_lead", "logistiek", "utrecht", "instagram")
    with transaction(engine) as conn:
        benchmarks_repo.replace_cells(
            conn,
            [
                Cell(cost, 7, True, value=25.0, low=19.0, high=31.0),
                Cell(rate, 7, True, value=0.12, low=0.08, high=0.16),
                Cell(wait, 6, True, value=5.5, low=2.0, high=20.0),
                Cell(other, 9, True, value=11.0, low=9.0, high=13.0),
            ],
            weeks_from="2026-W20",
            weeks_to="2026-W47",
            at=NOW,
        )


def join(client: TestClient, **form: str) -> object:
    token = csrf_from(client.get("/settings", headers=HTML).text)
    return client.post(
        "/settings/benchmarks",
        data={"csrf_token": token, **form},
        headers=HTML,
        follow_redirects=False,
    )


def test_an_owner_joins_and_the_dashboard_places_the_campaign(
    settings: Settings, stack: Stack, seeded: SeedResult
) -> None:
    publish_cells(stack.engine)
    with console(settings, stack) as client:
        log_in(client, seeded.email, DEMO_PASSWORD)
        before = client.get(f"/campaigns/{SLUG}/dashboard", headers=HTML).text
        assert "does not take part in the benchmarks" in before
        assert "€25.00" not in before  # who does not give, does not get

        settings_page = client.get("/settings", headers=HTML).text
        assert 'id="benchmark-settings"' in settings_page
        joined = join(client, opted_in="yes", sector="zorg")
        assert joined.status_code == 303  # type: ignore[attr-defined]
        overview = client.get("/benchmarks", headers=HTML).text
        page = client.get(f"/campaigns/{SLUG}/dashboard", headers=HTML).text

    assert "Healthcare" in overview and "€25.00" in overview and "€11.00" not in overview
    panel = page[
        page.index('id="benchmarks-title"') : page.index(
            "</section>", page.index('id="benchmarks-title"')
        )
    ]
    # Instagram (the demo's history and €800 for 20 more leads), with its 90% interval,
    # against the group's €25 (€19-€31);
    instagram = re.search(r"Cost per lead, Instagram</th>(.*?)</tr>", panel, re.DOTALL)
    assert instagram is not None
    assert re.search(r"€[0-9.]+ <span class=\"interval\">\(€[0-9.]+\u2013€[0-9.]+\)", instagram[1])
    assert "€25.00" in instagram[1] and "7 employers" in instagram[1]
    assert "higher" in instagram[1]  # the campaign's whole interval lies above the group's
    # The demo's Facebook creative spent in these weeks without a lead: no figure yet.
    facebook = re.search(r"Cost per lead, Facebook</th>(.*?)</tr>", panel, re.DOTALL)
    assert facebook is not None and "no lead yet" in facebook[1]
    # Its leads were first contacted after 3 hours; the group's median is 5.5 hours.
    contact = re.search(r"Time to first contact, all channels</th>(.*?)</tr>", panel, re.DOTALL)
    assert contact is not None and "3 h" in contact[1] and "5.5 h" in contact[1]
    with stack.engine.connect() as conn:
        actions = [e.action for e in audit.entries(conn, stack.tenant_id)]
    assert "benchmarks_joined" in actions


def test_a_withheld_group_says_so(settings: Settings, stack: Stack, seeded: SeedResult) -> None:
    with console(settings, stack) as client:
        log_in(client, seeded.email, DEMO_PASSWORD)
        join(client, opted_in="yes", sector="zorg")
        page = client.get(f"/campaigns/{SLUG}/dashboard", headers=HTML).text
        overview = client.get("/benchmarks", headers=HTML).text

    assert "Too few employers in this group yet" in page
    assert "Too few employers in this group yet" in overview


def test_joining_needs_an_owner_a_sector_and_a_token(
    settings: Settings, stack: Stack, seeded: SeedResult
) -> None:
    add_person(
        stack.engine,
        tenant_id=stack.tenant_id,
        email="marketer@example.nl",
        role="marketer",
        now=NOW,
    )
    with console(settings, stack) as client:
        log_in(client, seeded.email, DEMO_PASSWORD)
        no_sector = join(client, opted_in="yes", sector="")
        bad_sector = join(client, opted_in="yes", sector="casino")
        no_token = client.post(
            "/settings/benchmarks", data={"opted_in": "yes", "sector": "zorg"}, headers=HTML
        )
    with console(settings, stack) as client:
        token = log_in(client, "marketer@example.nl")
        refused = client.post(
            "/settings/benchmarks",
            data={"csrf_token": token, "opted_in": "yes", "sector": "zorg"},
            headers=HTML,
        )
        seen = client.get("/benchmarks", headers=HTML)

    assert no_sector.status_code == 422  # type: ignore[attr-defined]
    assert "Choose your sector" in no_sector.text  # type: ignore[attr-defined]
    assert bad_sector.status_code == 422  # type: ignore[attr-defined]
    assert no_token.status_code == 403
    assert refused.status_code == 403
    assert seen.status_code == 200 and "An owner of this employer can join" in seen.text
    with stack.engine.connect() as conn:
        assert benchmarks_repo.participation_of(conn, stack.tenant_id).opted_in is False
