"""The dashboard against a real analytics app: figures, charts, notices, isolation, decisions."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from campaigns_testkit import DEMO_PASSWORD, NOW
from fastapi.testclient import TestClient
from insight_testkit import (
    HTML,
    SERVICE_TOKEN,
    add_person,
    add_tenant,
    analytics_app,
    apply_to_analytics,
    campaigns_outbox,
    candidate_events,
    free_port,
    log_in,
    serve,
)
from sqlalchemy import Engine

from campaigns.audit import repository as audit
from campaigns.catalog import repository as repo
from campaigns.config import Settings
from campaigns.main import create_app
from campaigns.seed import SeedResult
from koers.events import AllocationProposed, new_envelope
from tests.support.passwords import FAST_PASSWORD_HASHER

pytestmark = pytest.mark.unit

SLUG = "demo-klantenservice"
WEEK = "2026-W49"


@pytest.fixture
def campaign_id(engine: Engine, seeded: SeedResult) -> str:
    with engine.connect() as conn:
        campaign = repo.campaign_by_id(conn, _campaign_id(conn))
    assert campaign is not None
    return campaign.id


def _campaign_id(conn: sa.Connection) -> str:
    found: str = conn.execute(
        sa.select(repo.campaigns.c.id).where(repo.campaigns.c.slug == SLUG)
    ).scalar_one()
    return found


@pytest.fixture
def analytics_url(
    make_migrated_database_url: Callable[[str], str], engine: Engine, campaign_id: str
) -> Iterator[str]:
    """Analytics with the campaign as published, its spend, and candidates per creative."""
    app, analytics_engine = analytics_app(make_migrated_database_url("analytics"))
    published = campaigns_outbox(engine)
    tenant_id = published[0].tenant_id
    visits = {"instagram": 400, "tiktok": 300, "linkedin": 120, "facebook": 60}
    leads = {"instagram": 20, "tiktok": 30, "linkedin": 3, "facebook": 2}
    events = [
        envelope
        for variant_id, count in visits.items()
        for envelope in candidate_events(
            tenant_id=tenant_id,
            campaign_id=campaign_id,
            variant_id=variant_id,
            visited_at=NOW - timedelta(days=9),
            visits=count,
            leads=leads[variant_id],
            applications=2,
        )
    ]
    apply_to_analytics(analytics_engine, [*published, *events])
    analytics_engine.dispose()
    with serve(app) as url:
        yield url


def console(settings: Settings, analytics_url: str) -> TestClient:
    configured = settings.model_copy(
        update={"analytics_url": analytics_url, "service_token": SERVICE_TOKEN}
    )
    return TestClient(create_app(configured, password_hasher=FAST_PASSWORD_HASHER))


@pytest.fixture
def owner(settings: Settings, analytics_url: str, seeded: SeedResult) -> Iterator[TestClient]:
    with console(settings, analytics_url) as client:
        log_in(client, seeded.email, DEMO_PASSWORD)
        yield client


def chart_urls(html: str) -> dict[str, str]:
    found = re.findall(r'src="([^"]*/dashboard/charts/([a-z_]+)\.svg\?[^"]+)"', html)
    return {name: url.replace("&amp;", "&") for url, name in found}


def test_the_dashboard_shows_the_funnel_costs_and_charts(owner: TestClient) -> None:
    response = owner.get(f"/campaigns/{SLUG}/dashboard?week={WEEK}", headers=HTML)

    assert response.status_code == 200
    page = response.text
    assert "Candidates per creative" in page
    # TikTok: 300 visits, 30 leads, 2 applications, straight from analytics' counters.
    row = re.search('<th scope="row">TikTok \u2013 collega vertelt</th>.*?</tr>', page, re.DOTALL)
    assert row is not None
    cells = re.findall(r'<td class="num">([^<]*)', row.group(0))
    assert cells[:5] == ["300", "32", "0", "30", "2"]
    assert "(€" in row.group(0) and "\u2013" in row.group(0)  # a cost with its interval
    assert "Candidate figures cannot be loaded" not in page
    urls = chart_urls(page)
    assert {"funnel", "cost", "budget"} <= set(urls)
    assert "There is no proposal for 2026-W49 yet" in page  # analytics has none (yet)


def test_each_chart_is_svg_drawn_once_and_cached(owner: TestClient) -> None:
    page = owner.get(f"/campaigns/{SLUG}/dashboard?week={WEEK}", headers=HTML).text
    urls = chart_urls(page)
    cache = owner.app.state.chart_cache  # type: ignore[attr-defined]

    first = owner.get(urls["funnel"])
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("image/svg+xml")
    assert "script-src" not in first.headers["content-security-policy"]
    assert "'unsafe-inline'" in first.headers["content-security-policy"]  # its own styles
    svg = ET.fromstring(first.text)
    assert svg.get("role") == "img"
    renders = cache.renders

    again = owner.get(urls["funnel"])
    assert again.text == first.text and cache.renders == renders
    assert (
        owner.get(urls["funnel"], headers={"If-None-Match": first.headers["etag"]}).status_code
        == 304
    )
    # Reloading the page with the same numbers links the same pictures.
    assert (
        chart_urls(owner.get(f"/campaigns/{SLUG}/dashboard?week={WEEK}", headers=HTML).text) == urls
    )


def test_a_chart_link_without_version_is_drawn_from_fresh_figures(owner: TestClient) -> None:
    response = owner.get(f"/campaigns/{SLUG}/dashboard/charts/cost.svg")
    assert response.status_code == 200 and "<svg" in response.text
    assert owner.get(f"/campaigns/{SLUG}/dashboard/charts/nonsense.svg").status_code == 404


def test_analytics_down_still_renders_the_page_with_notices(
    settings: Settings, seeded: SeedResult
) -> None:
    with console(settings, f"http://127.0.0.1:{free_port()}") as client:
        log_in(client, seeded.email, DEMO_PASSWORD)
        response = client.get(f"/campaigns/{SLUG}/dashboard", headers=HTML)
        chart = client.get(f"/campaigns/{SLUG}/dashboard/charts/funnel.svg", headers=HTML)

    assert response.status_code == 200
    assert "Candidate figures cannot be loaded right now" in response.text
    assert "Data-health checks cannot be loaded right now" in response.text
    assert "The weekly proposal cannot be loaded right now" in response.text
    assert chart_urls(response.text) == {}
    assert chart.status_code == 404


def test_a_proposal_received_as_an_event_is_shown_with_chances(
    owner: TestClient, engine: Engine, campaign_id: str
) -> None:
    from campaigns.handlers import store_allocation_proposal

    tenant_id = campaigns_outbox(engine)[0].tenant_id
    proposal = AllocationProposed(
        week=WEEK,
        budget=1000,
        allocation={"instagram": 300, "tiktok": 500, "linkedin": 150, "facebook": 50},
        p_best={"instagram": 0.2, "tiktok": 0.7, "linkedin": 0.07, "facebook": 0.03},
        explanation=("TikTok brings leads at the lowest cost per euro.",),
    )
    envelope = new_envelope(
        proposal, source="analytics", tenant_id=tenant_id, campaign_id=campaign_id
    )
    with engine.begin() as conn:
        store_allocation_proposal(conn, envelope)

    page = owner.get(f"/campaigns/{SLUG}/dashboard?week={WEEK}", headers=HTML).text

    assert "TikTok brings leads at the lowest cost per euro." in page
    assert "70%" in page
    assert {"p_best", "allocation"} <= set(chart_urls(page))
    assert 'value="approve"' in page


def test_a_decision_analytics_cannot_take_is_not_recorded(
    owner: TestClient, engine: Engine
) -> None:
    page = owner.get(f"/campaigns/{SLUG}/dashboard?week={WEEK}", headers=HTML).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    with engine.connect() as conn:
        before = audit.count(conn)

    response = owner.post(
        f"/campaigns/{SLUG}/allocations/{WEEK}/decision",
        data={"decision": "approve", "note": "", "csrf_token": token.group(1)},
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 303
    shown = owner.get(response.headers["location"], headers=HTML).text

    assert "Nothing was changed" in shown or "There is no proposal" in shown
    with engine.connect() as conn:
        assert audit.count(conn) == before


def test_forms_need_csrf_and_a_role_that_decides(
    settings: Settings, analytics_url: str, engine: Engine, seeded: SeedResult
) -> None:
    tenant_id = campaigns_outbox(engine)[0].tenant_id
    add_person(engine, tenant_id=tenant_id, email="viewer@example.nl", role="viewer", now=NOW)
    with console(settings, analytics_url) as client:
        token = log_in(client, "viewer@example.nl")
        page = client.get(f"/campaigns/{SLUG}/dashboard?week={WEEK}", headers=HTML)
        assert page.status_code == 200 and "Ask analytics for a proposal" not in page.text
        for path in (f"allocations/{WEEK}/decision", f"allocations/{WEEK}/proposal"):
            refused = client.post(
                f"/campaigns/{SLUG}/{path}",
                data={"decision": "approve", "csrf_token": token},
                headers=HTML,
            )
            assert refused.status_code == 403
        no_token = client.post(
            f"/campaigns/{SLUG}/allocations/{WEEK}/decision",
            data={"decision": "approve"},
            headers=HTML,
        )
        assert no_token.status_code == 403
        assert client.get(f"/campaigns/{SLUG}/allocations/{WEEK}/decision").status_code == 405


def test_another_tenant_sees_nothing(
    settings: Settings, analytics_url: str, engine: Engine, seeded: SeedResult, tmp_path: Path
) -> None:
    other = add_tenant(engine, "Other Employer BV")
    add_person(engine, tenant_id=other, email="owner@other.nl", role="owner", now=NOW)
    with console(settings, analytics_url) as client:
        token = log_in(client, "owner@other.nl")
        assert client.get(f"/campaigns/{SLUG}/dashboard", headers=HTML).status_code == 404
        assert client.get(f"/campaigns/{SLUG}/dashboard/charts/funnel.svg").status_code == 404
        decided = client.post(
            f"/campaigns/{SLUG}/allocations/{WEEK}/decision",
            data={"decision": "approve", "csrf_token": token},
            headers=HTML,
        )
        assert decided.status_code == 404


def test_bad_input_is_a_4xx(owner: TestClient) -> None:
    assert owner.get(f"/campaigns/{SLUG}/dashboard?week=2026-W99", headers=HTML).status_code == 422
    assert owner.get(f"/campaigns/{SLUG}/dashboard?week=next", headers=HTML).status_code == 422
    page = owner.get(f"/campaigns/{SLUG}/dashboard", headers=HTML).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    for data in ({"decision": "maybe"}, {"decision": "approve", "note": "x" * 2001}):
        response = owner.post(
            f"/campaigns/{SLUG}/allocations/{WEEK}/decision",
            data={**data, "csrf_token": token.group(1)},
            headers=HTML,
        )
        assert response.status_code == 422
