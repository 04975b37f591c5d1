"""The employer overview's two sources, against the real analytics and landing apps over
HTTP: one request to each per overview whatever the number of live campaigns, the same
ranked actions as one request per campaign and source gave, and a source that is down
counted as missing while the rest still advises."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from campaigns_testkit import NOW
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient
from insight_testkit import (
    HTML,
    SERVICE_TOKEN,
    add_landing_leads,
    add_person,
    add_tenant,
    analytics_app,
    apply_to_analytics,
    campaigns_outbox,
    free_port,
    landing_app,
    log_in,
    serve,
)
from sqlalchemy import Engine

from campaigns.actions.domain import next_best_actions
from campaigns.actions.ranking import CampaignRef, rank_employer_actions
from campaigns.catalog import repository as catalog_repo
from campaigns.catalog import service as catalog
from campaigns.catalog.domain import Variant
from campaigns.config import Settings
from campaigns.demo import DEMO_PAGE
from campaigns.insights.analytics_client import HttpAnalyticsClient
from campaigns.leads import repository as followup_repo
from campaigns.leads.landing_client import HttpLandingClient
from campaigns.main import create_app
from campaigns.overview.cache import OverviewSources
from campaigns.overview.service import SPEED_WINDOW, EmployerFollowUp, employer_follow_up
from koers.db import transaction
from koers.isoweeks import iso_week
from tests.support.passwords import FAST_PASSWORD_HASHER

pytestmark = pytest.mark.unit

WEEKS = 5
"""Weeks of facts per creative, ending the week before NOW."""


@dataclass(frozen=True)
class Employer:
    tenant_id: str
    campaign_ids: dict[str, str]
    """slug -> campaign id"""


def counting(app: FastAPI, asked: Counter[str]) -> FastAPI:
    """Count the requests ``app`` serves, by path, as the services see them."""

    @app.middleware("http")
    async def count(request: Request, call_next: Callable[[Request], Awaitable[Response]]):  # type: ignore[no-untyped-def]
        asked[request.url.path] += 1
        return await call_next(request)

    return app


def create_live(engine: Engine, tenant_id: str, slug: str, variants: list[Variant]) -> None:
    with transaction(engine) as conn:
        catalog.create_campaign(
            conn,
            tenant_id=tenant_id,
            new=catalog.NewCampaign(
                slug=slug,
                name=f"Vacancy {slug}",
                vacancy_title=f"Medewerker {slug}",
                goal="lead",
                weekly_budget=Decimal("1000.00"),
                page=DEMO_PAGE,
                variants=variants,
            ),
            actor="test",
            now=NOW,
        )
        catalog.publish(conn, tenant_id=tenant_id, slug=slug, actor="test", now=NOW)


def creative(variant_id: str, channel: str) -> Variant:
    return Variant(variant_id, f"Creative {variant_id}", channel, "image", "Hook")


@pytest.fixture
def employer(engine: Engine) -> Employer:
    """Three live campaigns: a tired creative, a clearly worse channel, and one without
    any facts in analytics; a fourth campaign of another employer."""
    tenant_id = add_tenant(engine, "Bron BV")
    create_live(engine, tenant_id, "tired", [creative("a", "instagram")])
    create_live(
        engine, tenant_id, "channels", [creative("ig", "instagram"), creative("li", "linkedin")]
    )
    create_live(engine, tenant_id, "quiet", [creative("q", "tiktok")])
    other = add_tenant(engine, "Ander BV")
    create_live(engine, other, "theirs", [creative("a", "instagram")])
    with engine.connect() as conn:
        ids = {
            c.slug: c.id
            for tenant in (tenant_id, other)
            for c in catalog_repo.campaigns_of_tenant(conn, tenant, status="live", limit=10)
        }
    return Employer(tenant_id, ids)


def week_rows(campaign_id: str, variant_id: str, leads: tuple[int, ...], spend: int):  # type: ignore[no-untyped-def]
    last_monday = NOW.date() - timedelta(days=NOW.weekday() + 7)
    mondays = [last_monday - timedelta(weeks=n) for n in range(len(leads) - 1, -1, -1)]
    weekly = [
        {
            "campaign_id": campaign_id,
            "variant_id": variant_id,
            "iso_week": iso_week(monday),
            "visits": n * 10,
            "lead_starts": n,
            "leads": n,
        }
        for monday, n in zip(mondays, leads, strict=True)
    ]
    daily = [
        {
            "campaign_id": campaign_id,
            "variant_id": variant_id,
            "day": monday,
            "spend": Decimal(spend),
            "impressions": 10_000,
            "clicks": 300,
            "import_id": "test",
        }
        for monday in mondays
    ]
    return weekly, daily


@pytest.fixture
def analytics_url(
    make_migrated_database_url: Callable[[str], str], engine: Engine, employer: Employer
) -> Iterator[tuple[str, Counter[str]]]:
    from analytics.storage.schema import daily_delivery_table, weekly_funnel_table

    app, analytics_db = analytics_app(make_migrated_database_url("analytics"))
    apply_to_analytics(analytics_db, campaigns_outbox(engine, "CampaignPublished"))
    ids = employer.campaign_ids
    rows = [
        week_rows(ids["tired"], "a", (30, 28, 32, 8, 7), 500),
        week_rows(ids["channels"], "ig", (12, 12, 12, 12, 12), 120),
        week_rows(ids["channels"], "li", (2, 2, 2, 2, 2), 120),
        week_rows(ids["theirs"], "a", (30, 28, 32, 8, 7), 500),
    ]
    with transaction(analytics_db) as conn:
        conn.execute(sa.insert(weekly_funnel_table), [r for weekly, _ in rows for r in weekly])
        conn.execute(sa.insert(daily_delivery_table), [r for _, daily in rows for r in daily])
    analytics_db.dispose()
    asked: Counter[str] = Counter()
    with serve(counting(app, asked)) as url:
        yield url, asked


@pytest.fixture
def landing_url(
    make_migrated_database_url: Callable[[str], str],
    tmp_path,
    employer: Employer,  # type: ignore[no-untyped-def]
) -> Iterator[tuple[str, Counter[str]]]:
    app, landing_db = landing_app(make_migrated_database_url("landing"), tmp_path / "cvs")
    for slug, count in (("tired", 4), ("quiet", 2), ("theirs", 9)):
        add_landing_leads(
            landing_db,
            tenant_id=employer.tenant_id if slug != "theirs" else str(uuid.uuid4()),
            campaign_id=employer.campaign_ids[slug],
            variant_id="a",
            count=count,
            start=NOW - timedelta(days=3),
        )
    landing_db.dispose()
    asked: Counter[str] = Counter()
    with serve(counting(app, asked)) as url:
        yield url, asked


def follow_up(
    engine: Engine,
    employer: Employer,
    analytics: str,
    landing: str,
    sources: OverviewSources | None = None,
) -> EmployerFollowUp:
    with ThreadPoolExecutor(4) as pool:
        return employer_follow_up(
            engine,
            tenant_id=employer.tenant_id,
            analytics=HttpAnalyticsClient(analytics, SERVICE_TOKEN),
            landing=HttpLandingClient(landing, SERVICE_TOKEN),
            pool=pool,
            now=NOW,
            timeout_s=10.0,
            sources=sources,
        )


def one_request_per_campaign(engine: Engine, employer: Employer, analytics: str, landing: str):  # type: ignore[no-untyped-def]
    """The ranking as the overview gathered it before: each campaign's funnel and contact
    facts asked one by one, then the same pure rules."""
    funnels = HttpAnalyticsClient(analytics, SERVICE_TOKEN)
    facts = HttpLandingClient(landing, SERVICE_TOKEN)
    with engine.connect() as conn:
        live = catalog_repo.campaigns_of_tenant(conn, employer.tenant_id, status="live", limit=50)
        target = followup_repo.settings_of(conn, employer.tenant_id).target_hours
        found = [
            (
                CampaignRef(c.id, c.name, c.slug),
                next_best_actions(
                    funnel=funnels.campaign_funnel(c.id),
                    variants=catalog_repo.variants_of(conn, c.id),
                    entry_points=tuple((c.page or {}).get("entry_points") or ()),
                    contact_facts=facts.contact_facts(
                        employer.tenant_id, c.id, NOW - SPEED_WINDOW
                    ).items,
                    now=NOW,
                    target_hours=target,
                    dismissed={},
                ),
            )
            for c in live
        ]
    return rank_employer_actions(found)


def test_one_request_to_each_source_ranks_what_one_per_campaign_ranked(
    engine: Engine,
    employer: Employer,
    analytics_url: tuple[str, Counter[str]],
    landing_url: tuple[str, Counter[str]],
) -> None:
    (analytics, analytics_asked), (landing, landing_asked) = analytics_url, landing_url

    batched = follow_up(engine, employer, analytics, landing)
    asked = (dict(analytics_asked), dict(landing_asked))
    before = one_request_per_campaign(engine, employer, analytics, landing)

    tenant = employer.tenant_id
    assert asked == (
        {f"/v1/tenants/{tenant}/funnels": 1},
        {f"/internal/v1/tenants/{tenant}/contact-facts": 1},
    )
    assert batched.actions == before
    keys = {(a.campaign.slug, a.action.key) for a in batched.actions.shown}
    assert {("tired", "refresh_creative:a"), ("channels", "move_budget:linkedin:instagram")} <= keys
    assert ("tired", "follow_up:leads") in keys  # four leads past the 24 h target
    assert (batched.live_campaigns, batched.missing_funnels, batched.missing_contacts) == (3, 0, 0)
    assert batched.overdue_total == 6  # the other employer's nine leads are not counted
    assert batched.speed is not None


def test_a_source_that_is_down_counts_every_campaign_missing_and_the_rest_still_advises(
    engine: Engine,
    employer: Employer,
    analytics_url: tuple[str, Counter[str]],
    landing_url: tuple[str, Counter[str]],
) -> None:
    down = f"http://127.0.0.1:{free_port()}"

    no_analytics = follow_up(engine, employer, down, landing_url[0])
    no_landing = follow_up(engine, employer, analytics_url[0], down)

    assert (no_analytics.missing_funnels, no_analytics.missing_contacts) == (3, 0)
    assert [a.action.key for a in no_analytics.actions.shown] == ["follow_up:leads"] * 2
    assert no_analytics.speed is not None
    assert (no_landing.missing_funnels, no_landing.missing_contacts) == (0, 3)
    assert no_landing.speed is None and no_landing.overdue == ()
    assert {a.action.key for a in no_landing.actions.shown} == {
        "refresh_creative:a",
        "move_budget:linkedin:instagram",
    }


def test_an_employer_without_live_campaigns_asks_neither_source(
    engine: Engine,
    analytics_url: tuple[str, Counter[str]],
    landing_url: tuple[str, Counter[str]],
) -> None:
    idle = Employer(add_tenant(engine, "Stil BV"), {})

    found = follow_up(engine, idle, analytics_url[0], landing_url[0])

    assert found.live_campaigns == 0 and found.actions.shown == ()
    assert not analytics_url[1] and not landing_url[1]


def test_the_console_keeps_both_answers_a_while_and_rereads_contacts_once_forgotten(
    engine: Engine,
    employer: Employer,
    analytics_url: tuple[str, Counter[str]],
    landing_url: tuple[str, Counter[str]],
) -> None:
    (analytics, analytics_asked), (landing, landing_asked) = analytics_url, landing_url
    sources = OverviewSources()

    first = follow_up(engine, employer, analytics, landing, sources)
    again = follow_up(engine, employer, analytics, landing, sources)
    sources.forget(employer.tenant_id, "contact_facts", "follow_up")
    after_a_contact = follow_up(engine, employer, analytics, landing, sources)

    assert first == again == after_a_contact
    assert sum(analytics_asked.values()) == 1
    assert sum(landing_asked.values()) == 2


def test_a_dismissal_leaves_the_kept_overview_at_once(
    settings: Settings,
    engine: Engine,
    employer: Employer,
    analytics_url: tuple[str, Counter[str]],
    landing_url: tuple[str, Counter[str]],
) -> None:
    configured = settings.model_copy(
        update={
            "analytics_url": analytics_url[0],
            "landing_url": landing_url[0],
            "service_token": SERVICE_TOKEN,
        }
    )
    add_person(engine, tenant_id=employer.tenant_id, email="owner@bron.nl", role="owner", now=NOW)
    app = create_app(configured, clock=lambda: NOW, password_hasher=FAST_PASSWORD_HASHER)
    with TestClient(app) as client:
        token = log_in(client, "owner@bron.nl")  # loads the overview: now kept
        dismissed = client.post(
            "/campaigns/tired/actions/dismiss",
            data={
                "csrf_token": token,
                "action": "refresh_creative:a",
                "reason": "A new video is on its way",
                "back": "overview",
            },
            headers=HTML,
            follow_redirects=False,
        )
        after = client.get("/", headers=HTML).text

    assert dismissed.status_code == 303
    assert 'value="move_budget:linkedin:instagram"' in after  # the overview is there
    assert 'value="refresh_creative:a"' not in after
    assert sum(analytics_url[1].values()) == 1  # the funnels were kept all along
