"""What analytics' proposal says beyond the split (reasons, expected candidates, how much
earlier campaigns shaped it) is stored with the proposal and reaches the memo."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from campaigns_testkit import DEMO_PASSWORD, HTML, log_in
from fastapi.testclient import TestClient
from memo_testkit import PROPOSED_AT, WEEK, FakeInsights, demo_campaign, proposal_of
from sqlalchemy import Engine

from campaigns.config import Settings
from campaigns.decisions import repository as repo
from campaigns.decisions.proposals import request_proposal
from campaigns.demo import DEMO_EMAIL
from campaigns.insights.analytics_client import AllocationProposal, EarlierCampaignsSummary
from campaigns.main import create_app
from campaigns.seed import SeedResult
from tests.support.passwords import FAST_PASSWORD_HASHER

pytestmark = pytest.mark.unit

EARLIER = EarlierCampaignsSummary(campaigns=3, creatives=11, weight=0.42, disagreement=2.5)


@pytest.fixture
def insights(engine: Engine, seeded: SeedResult) -> FakeInsights:
    campaign = demo_campaign(engine)
    fake = FakeInsights()
    fake.proposals[(campaign.id, WEEK)] = proposal_of(campaign).model_copy(
        update={
            "earlier_campaigns": EARLIER,
            "event_id": "0d9b3f6e-0000-4000-8000-00000000a11c",
            "proposed_at": PROPOSED_AT,
        }
    )
    return fake


@pytest.fixture
def console(settings: Settings, insights: FakeInsights) -> Iterator[TestClient]:
    with TestClient(
        create_app(settings, analytics=insights, password_hasher=FAST_PASSWORD_HASHER)
    ) as client:
        log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
        yield client


def test_analytics_record_carries_the_earlier_campaigns_summary() -> None:
    record = {
        "campaign_id": "c",
        "week": WEEK,
        "status": "proposed",
        "proposal": {
            "allocation": {"a": 600.0, "b": 400.0},
            "earlier_campaigns": {
                "campaigns": 2,
                "creatives": 5,
                "weight": 0.3,
                "disagreement": 1.0,
            },
        },
    }
    parsed = AllocationProposal.model_validate(record)
    assert parsed.earlier_campaigns == EarlierCampaignsSummary(
        campaigns=2, creatives=5, weight=0.3, disagreement=1.0
    )
    without = AllocationProposal.model_validate({**record, "proposal": {"allocation": {}}})
    assert without.earlier_campaigns is None


def test_a_requested_proposal_keeps_what_the_memo_reports(
    engine: Engine, insights: FakeInsights, console: TestClient
) -> None:
    campaign = demo_campaign(engine)
    now = datetime(2026, 11, 30, 5, 1, tzinfo=UTC)
    request_proposal(engine, insights, campaign, WEEK, actor="weekly job", now=now)
    with engine.connect() as conn:
        payload = repo.allocation_proposal(conn, campaign.id, WEEK)
    assert payload is not None
    assert payload["earlier_campaigns"] == EARLIER.model_dump()
    assert payload["expected_conversions"] == 41.5
    assert payload["equal_split_expected_conversions"] == 36.0
    assert payload["reasons"]["instagram"].startswith("60% chance of being the best")
    page = console.get(f"/memo?week={WEEK}", headers=HTML)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert "Een startpunt uit 3 eerdere campagnes (11 creatives met resultaten)" in text
    assert "telt voor 42% mee in de schattingen per kanaal" in text
    assert "minder dan anders omdat de resultaten van deze campagne ervan afwijken" in text
    assert "Geleerd van eerdere campagnes" in text
    assert "Verwacht: 41,5 kandidaten, tegen 36,0 bij een gelijke verdeling (+15%)" in text
