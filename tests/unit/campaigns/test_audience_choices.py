"""Structured audience choices: stored with the campaign, shown, and grouped by."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from campaigns_testkit import DEMO_PASSWORD, HTML, csrf_from, log_in
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from campaigns.catalog.domain import Campaign
from campaigns.demo import DEMO_EMAIL, DEMO_SLUG
from campaigns.insights.domain import FunnelCounts
from campaigns.insights.groups import NOT_SET, group_campaigns
from campaigns.seed import SeedResult

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _campaign(cid: str, **choices: tuple[str, ...]) -> Campaign:
    base = Campaign(
        id=cid,
        tenant_id="t",
        slug=cid,
        name=f"Campaign {cid}",
        vacancy_title="Vacancy",
        goal="lead",
        weekly_budget=Decimal(100),
        status="live",
        page={},
        page_version=1,
        created_at=NOW,
        updated_at=NOW,
    )
    return replace(base, **choices)


def test_campaigns_are_grouped_per_choice_overlapping_with_the_unset_last() -> None:
    a = _campaign("a", target_regions=("utrecht", "zuid_holland"))
    b = _campaign("b", target_regions=("utrecht",))
    c = _campaign("c")
    totals = {
        "a": FunnelCounts(visits=100, leads=10, spend=Decimal(200)),
        "b": FunnelCounts(visits=50, leads=0, spend=Decimal(50)),
        "c": None,  # analytics did not answer
    }
    rows = group_campaigns([a, b, c], totals, "region")
    assert [(r.label, [x.id for x in r.campaigns]) for r in rows] == [
        ("Utrecht", ["a", "b"]),
        ("Zuid-Holland", ["a"]),
        (NOT_SET, ["c"]),
    ]
    utrecht, zuid, unset = rows
    assert (utrecht.visits, utrecht.leads, utrecht.spend) == (150, 10, Decimal(250))
    assert utrecht.cost_per_lead == Decimal("25.00") and utrecht.complete
    assert zuid.cost_per_lead == Decimal("20.00")
    assert not unset.complete and unset.cost_per_lead is None


def test_no_campaigns_no_groups() -> None:
    assert group_campaigns([], {}, "audience") == []


def _edit_form(client: TestClient) -> str:
    return client.get(f"/campaigns/{DEMO_SLUG}/edit", headers=HTML).text


def test_the_choices_are_saved_shown_and_bad_ones_refused(
    client: TestClient, seeded: SeedResult, engine: Engine
) -> None:
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    form = _edit_form(client)
    assert 'value="utrecht" checked' in form  # the demo's region, loaded
    campaign = client.get(f"/api/v1/campaigns/{DEMO_SLUG}").json()
    assert campaign["target_regions"] == ["utrecht"]

    base = {
        "name": campaign["name"],
        "vacancy_title": campaign["vacancy_title"],
        "weekly_budget": "1000",
        "goal": "lead",
        "csrf_token": csrf_from(form),
        "audience_segments": ["returners", "over_50"],
        "target_regions": ["limburg", "belgium"],
        "target_channels": ["indeed"],
    }
    saved = client.post(f"/campaigns/{DEMO_SLUG}", data=base, headers=HTML, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    page = client.get(f"/campaigns/{DEMO_SLUG}", headers=HTML).text
    assert "Returners to work" in page and "Belgium (Flanders)" in page and "Indeed" in page

    bad = {**base, "csrf_token": csrf_from(_edit_form(client)), "target_regions": ["mars"]}
    refused = client.post(f"/campaigns/{DEMO_SLUG}", data=bad, headers=HTML)
    assert refused.status_code == 422
    assert client.get(f"/api/v1/campaigns/{DEMO_SLUG}").json()["target_regions"] == [
        "limburg",
        "belgium",
    ]


def test_insights_group_the_campaigns_and_say_when_figures_are_missing(
    client: TestClient, seeded: SeedResult
) -> None:
    """The figures per group are group_campaigns' (above); analytics is not running here."""
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    page = client.get("/insights?group=region", headers=HTML)
    assert page.status_code == 200
    assert "Utrecht" in page.text and "incomplete" in page.text
    assert "Klantenservicemedewerker Utrecht" in page.text
    assert client.get("/insights?group=planet", headers=HTML).status_code == 422
