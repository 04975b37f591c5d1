"""The /v1 API as the console and the weekly job see it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from conftest import Events, Feed

pytestmark = pytest.mark.unit

W47 = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
W48 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

TOTAL_KEYS = {
    "visits",
    "unique_visitors",
    "quiz_starts",
    "lead_starts",
    "apply_starts",
    "quiz_completions",
    "qualified_quiz",
    "leads",
    "applications",
    "interviews",
    "hires",
    "reached",
    "spend",
    "impressions",
    "clicks",
}
WEEK_KEYS = {"week"} | TOTAL_KEYS


def zero(**values: float) -> dict[str, float]:
    """Every counter at zero but ``values``; each visit here is by another visitor."""
    return {key: 0 for key in TOTAL_KEYS} | {"unique_visitors": values.get("visits", 0)} | values


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "Basic dXNlcjpwdw=="}],
)
def test_the_api_refuses_requests_without_the_service_token(
    client: TestClient, campaign_id: str, headers: dict[str, str]
) -> None:
    for path in (
        f"/v1/campaigns/{campaign_id}/funnel",
        f"/v1/campaigns/{campaign_id}/weeks/2026-W47",
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["title"] == "Not authenticated"


def test_an_unknown_campaign_is_a_404_problem(
    client: TestClient, auth: dict[str, str], campaign_id: str
) -> None:
    response = client.get(f"/v1/campaigns/{campaign_id}/funnel", headers=auth)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and campaign_id in body["detail"]
    week = client.get(f"/v1/campaigns/{campaign_id}/weeks/2026-W47", headers=auth)
    assert week.status_code == 404


def test_the_funnel_shows_each_variant_per_week_with_spend_and_totals(
    client: TestClient, auth: dict[str, str], feed: Feed, events: Events, campaign_id: str
) -> None:
    feed(
        events.published("tt", "ig", "li"),
        events.page_viewed("ig", W47),
        events.page_viewed("ig", W47),
        events.entry_started("ig", W47, "lead"),
        events.lead_submitted("ig", W47),
        events.page_viewed("ig", W48),
        events.quiz_completed("tt", W48, qualified=True),
        events.lead_outcome("ig", W47, "hired", occurred_at=W48),
        events.spend("ig", date(2026, 11, 16), 10.10, impressions=1000, clicks=30),
        events.spend("ig", date(2026, 11, 22), 5.20, impressions=500, clicks=20),
        events.spend("tt", date(2026, 11, 23), 8.00, impressions=900, clicks=9),
    )

    response = client.get(f"/v1/campaigns/{campaign_id}/funnel", headers=auth)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"campaign_id", "variants", "totals"}
    assert body["campaign_id"] == campaign_id
    assert [v["variant_id"] for v in body["variants"]] == ["ig", "li", "tt"]
    for variant in body["variants"]:
        assert set(variant) == {"variant_id", "weeks", "totals"}
        assert set(variant["totals"]) == TOTAL_KEYS
        assert all(set(week) == WEEK_KEYS for week in variant["weeks"])
    ig, li, tt = body["variants"]
    assert ig["weeks"] == [
        {
            "week": "2026-W47",
            **zero(
                visits=2, lead_starts=1, leads=1, hires=1, spend=15.3, impressions=1500, clicks=50
            ),
        },
        {"week": "2026-W48", **zero(visits=1)},
    ]
    assert ig["totals"] == zero(
        visits=3, lead_starts=1, leads=1, hires=1, spend=15.3, impressions=1500, clicks=50
    )
    assert li == {"variant_id": "li", "weeks": [], "totals": zero()}  # published, no data yet
    assert tt["weeks"] == [
        {
            "week": "2026-W48",
            **zero(quiz_completions=1, qualified_quiz=1, spend=8.0, impressions=900, clicks=9),
        }
    ]
    assert body["totals"] == zero(
        visits=3,
        lead_starts=1,
        leads=1,
        hires=1,
        quiz_completions=1,
        qualified_quiz=1,
        spend=23.3,
        impressions=2400,
        clicks=59,
    )
    assert isinstance(body["totals"]["spend"], float)


def test_one_week_of_the_funnel_per_variant(
    client: TestClient, auth: dict[str, str], feed: Feed, events: Events, campaign_id: str
) -> None:
    feed(
        events.page_viewed("ig", W47),
        events.page_viewed("ig", W48),
        events.page_viewed("tt", W48),
        events.spend("tt", date(2026, 11, 29), 4.5, impressions=100, clicks=3),  # Sunday W48
        events.spend("tt", date(2026, 11, 30), 9.9, impressions=100, clicks=3),  # Monday W49
    )

    response = client.get(f"/v1/campaigns/{campaign_id}/weeks/2026-W48", headers=auth)

    assert response.status_code == 200
    assert response.json() == {
        "campaign_id": campaign_id,
        "week": "2026-W48",
        "variants": [
            {"variant_id": "ig", **zero(visits=1)},
            {"variant_id": "tt", **zero(visits=1, spend=4.5, impressions=100, clicks=3)},
        ],
        "totals": zero(visits=2, spend=4.5, impressions=100, clicks=3),
    }
    quiet = client.get(f"/v1/campaigns/{campaign_id}/weeks/2026-W01", headers=auth).json()
    assert quiet["totals"] == zero() and [v["variant_id"] for v in quiet["variants"]] == [
        "ig",
        "tt",
    ]


@pytest.mark.parametrize("week", ["2026-47", "2026-W7", "W47-2026", "2027-W53", "2026-W00"])
def test_a_week_that_is_no_iso_week_is_a_422_problem(
    client: TestClient,
    auth: dict[str, str],
    feed: Feed,
    events: Events,
    campaign_id: str,
    week: str,
) -> None:
    feed(events.page_viewed("ig", W47))

    response = client.get(f"/v1/campaigns/{campaign_id}/weeks/{week}", headers=auth)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Invalid request"


def test_openapi_documents_the_funnel_and_the_token(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()

    funnel = spec["paths"]["/v1/campaigns/{campaign_id}/funnel"]["get"]
    assert funnel["description"]
    ok_schema = funnel["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok_schema["$ref"].endswith("/CampaignFunnelResponse")
    assert {"401", "404"} <= set(funnel["responses"])
    assert funnel["security"] and spec["components"]["securitySchemes"]
    week_schema = spec["components"]["schemas"]["WeekFunnelFacts"]
    assert set(week_schema["properties"]) == WEEK_KEYS
    assert "/v1/campaigns/{campaign_id}/weeks/{iso_week}" in spec["paths"]


def test_health_and_readiness_need_no_token(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "service": "analytics"}
    ready = client.get("/readyz")
    assert ready.status_code == 200  # the broker is down in this test: degraded, still ready
    assert ready.json()["checks"]["database"] == "ok"
