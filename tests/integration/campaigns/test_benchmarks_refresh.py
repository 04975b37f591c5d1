"""The benchmarks' refresh over real databases (SQLite, or PostgreSQL with
KOERS_TEST_DATABASE_URL) and the real analytics and landing apps: five employers who
opted in make a cell, an employer who did not changes nothing, and one leaving takes
the sector's cells down at once and leaves four, which stay hidden."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaigns.audit import repository as audit
from campaigns.benchmarks import repository as benchmarks_repo
from campaigns.benchmarks.domain import CellKey, round_significant
from campaigns.benchmarks.service import refresh_benchmarks, set_participation, weekly_refresh
from campaigns.catalog import repository as catalog_repo
from campaigns.catalog.domain import Campaign, Variant
from campaigns.insights.analytics_client import HttpAnalyticsClient
from campaigns.leads.landing_client import HttpLandingClient
from koers.db import make_engine, transaction
from koers.events import LeadOutcomeRecorded, SpendRecorded, new_envelope
from tests.unit.campaigns.insight_testkit import (
    SERVICE_TOKEN,
    add_landing_leads,
    add_tenant,
    analytics_app,
    apply_to_analytics,
    candidate_events,
    free_port,
    landing_app,
    serve,
)

pytestmark = pytest.mark.integration

VISITED = datetime(2026, 11, 25, 10, tzinfo=UTC)  # ISO week 2026-W48
WEEK = "2026-W50"  # the refresh covers the 26 whole weeks before: W24..W49
NOW = datetime(2026, 12, 7, 6, tzinfo=UTC)
ZORG_UTRECHT = ("zorg", "utrecht", "instagram")
COST = CellKey("cost_per_lead", *ZORG_UTRECHT)
RATE = CellKey("interview_rate", *ZORG_UTRECHT)
WAIT = CellKey("first_contact_hours", "zorg", "utrecht", "all")


@dataclass(frozen=True)
class Employer:
    tenant_id: str
    spend: int
    leads: int
    interviews: int


@dataclass(frozen=True)
class Services:
    engine: sa.Engine
    analytics: HttpAnalyticsClient
    landing: HttpLandingClient
    employers: dict[str, Employer]


def _add_campaign(engine: sa.Engine, tenant_id: str) -> str:
    campaign = Campaign(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        slug=f"zorg-{uuid.uuid4().hex[:8]}",
        name="Verpleegkundige",
        vacancy_title="Verpleegkundige",
        goal="lead",
        weekly_budget=Decimal(500),
        status="live",
        page={},
        page_version=1,
        created_at=NOW - timedelta(days=60),
        updated_at=NOW - timedelta(days=60),
        target_regions=("utrecht",),
    )
    with transaction(engine) as conn:
        catalog_repo.add_campaign(conn, campaign)
        catalog_repo.add_variants(
            conn,
            campaign.id,
            [Variant("instagram", "Instagram", "instagram", "image", "Zorg met aandacht")],
        )
    return campaign.id


@pytest.fixture
def services(
    make_migrated_database_url: Callable[[str], str], tmp_path: Path
) -> Iterator[Services]:
    campaigns_url = make_migrated_database_url("campaigns")
    engine = make_engine(campaigns_url)
    analytics, analytics_engine = analytics_app(make_migrated_database_url("analytics"))
    landing, landing_engine = landing_app(make_migrated_database_url("landing"), tmp_path / "cv")
    # Five employers alike enough that none dominates; an outsider far dearer.
    figures = {
        "a": (1200, 12, 3),
        "b": (1300, 13, 2),
        "c": (1400, 14, 4),
        "d": (1100, 11, 2),
        "e": (1500, 15, 3),
        "outsider": (40_000, 10, 0),
    }
    employers: dict[str, Employer] = {}
    events = []
    for name, (spend, leads, interviews) in figures.items():
        tenant_id = add_tenant(engine, f"Zorg {name} {uuid.uuid4().hex[:6]}")
        campaign_id = _add_campaign(engine, tenant_id)
        employers[name] = Employer(tenant_id, spend, leads, interviews)
        envelope = {"tenant_id": tenant_id, "campaign_id": campaign_id}
        events.append(
            new_envelope(
                SpendRecorded(
                    variant_id="instagram",
                    day=date(2026, 11, 25),
                    spend=spend,
                    impressions=50_000,
                    clicks=900,
                    import_id=f"import-{name}",
                ),
                source="campaigns",
                occurred_at=VISITED,
                **envelope,
            )
        )
        events += candidate_events(
            **envelope,
            variant_id="instagram",
            visited_at=VISITED,
            visits=leads,
            leads=leads,
            applications=0,
        )
        lead_ids = add_landing_leads(
            landing_engine,
            **envelope,
            variant_id="instagram",
            count=leads,
            start=VISITED,
        )
        for n, lead_id in enumerate(lead_ids):
            # Each lead first contacted two hours after it came in (the outsider: days).
            wait = timedelta(days=5) if name == "outsider" else timedelta(hours=2)
            _contact(landing_engine, tenant_id, lead_id, VISITED + timedelta(minutes=n) + wait)
            if n < interviews:
                events.append(
                    new_envelope(
                        LeadOutcomeRecorded(
                            lead_id=lead_id,
                            variant_id="instagram",
                            outcome="interviewed",
                            visited_at=VISITED,
                        ),
                        source="campaigns",
                        occurred_at=VISITED + timedelta(days=3),
                        **envelope,
                    )
                )
    apply_to_analytics(analytics_engine, events)
    analytics_engine.dispose()
    landing_engine.dispose()
    with serve(analytics) as analytics_url, serve(landing) as landing_url:
        analytics_client = HttpAnalyticsClient(analytics_url, SERVICE_TOKEN, timeout_s=10)
        landing_client = HttpLandingClient(landing_url, SERVICE_TOKEN, timeout_s=10)
        yield Services(engine, analytics_client, landing_client, employers)
        analytics_client.close()
        landing_client.close()
    engine.dispose()


def _contact(engine: sa.Engine, tenant_id: str, lead_id: str, at: datetime) -> None:
    from landing.contacts.service import record_contact

    record_contact(
        engine,
        tenant_id,
        uuid.UUID(lead_id),
        kind="attempt",
        channel="whatsapp",
        at=at,
        recruiter_id="recruiter-1",
    )


def _opt_in(services: Services, *names: str) -> None:
    for name in names:
        set_participation(
            services.engine,
            services.employers[name].tenant_id,
            opted_in=True,
            sector="zorg",
            actor="owner@example.nl",
            now=NOW - timedelta(days=1),
        )


def _cells(services: Services) -> dict[CellKey, benchmarks_repo.Cell]:
    with services.engine.connect() as conn:
        return benchmarks_repo.cells_of_sector(conn, "zorg").cells


def _refresh(services: Services) -> None:
    refresh_benchmarks(services.engine, services.analytics, services.landing, week=WEEK, now=NOW)


def test_five_employers_make_a_cell_and_an_outsider_changes_nothing(services: Services) -> None:
    _opt_in(services, "a", "b", "c", "d", "e")

    _refresh(services)

    cells = _cells(services)
    five = [services.employers[n] for n in "abcde"]
    assert cells[COST].employers == 5
    pooled = sum(e.spend for e in five) / sum(e.leads for e in five)
    assert cells[COST].value == round_significant(pooled)  # the outsider's €4,000 a lead: no
    assert cells[RATE].value == round(sum(e.interviews for e in five) / 65, 2)
    assert cells[WAIT].value == 2.0 and cells[WAIT].employers == 5
    with services.engine.connect() as conn:
        assert benchmarks_repo.participation_of(
            conn, services.employers["outsider"].tenant_id
        ) == benchmarks_repo.Participation(opted_in=False, sector=None)


def test_one_leaving_takes_the_cells_down_and_four_stay_hidden(services: Services) -> None:
    _opt_in(services, "a", "b", "c", "d", "e")
    _refresh(services)
    assert COST in _cells(services)

    leaving = services.employers["e"].tenant_id
    set_participation(
        services.engine, leaving, opted_in=False, sector="zorg", actor="owner@example.nl", now=NOW
    )

    assert _cells(services) == {}  # withdrawn at once, not recomputed without "e"
    with services.engine.connect() as conn:
        actions = [
            row.action
            for row in conn.execute(
                sa.select(audit.audit_log.c.action).where(audit.audit_log.c.tenant_id == leaving)
            )
        ]
    assert actions == ["benchmarks_joined", "benchmarks_left"]
    _refresh(services)
    assert _cells(services) == {}  # four employers: nothing shown


def test_a_weekly_refresh_without_analytics_keeps_last_weeks_cells(services: Services) -> None:
    _opt_in(services, "a", "b", "c", "d", "e")
    _refresh(services)
    published = _cells(services)
    unreachable = HttpAnalyticsClient(f"http://127.0.0.1:{free_port()}", SERVICE_TOKEN)
    step = weekly_refresh(services.engine, unreachable, services.landing, clock=lambda: NOW)

    assert step(WEEK) is None  # logged as an error; the weekly run itself goes on
    assert _cells(services) == published
    unreachable.close()
