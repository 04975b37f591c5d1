"""GET /v1/campaigns: which campaigns the weekly job plans, from analytics' own state."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode

if TYPE_CHECKING:
    from conftest import Events, Feed

pytestmark = pytest.mark.unit


@pytest.fixture
def two_campaigns(feed: Feed, events: Events) -> tuple[Events, Events]:
    """One published campaign, one published then paused, and one known only by facts."""
    paused = type(events)(f"c-{uuid.uuid4().hex[:12]}", tenant_id="tenant-2")
    facts_only = type(events)(f"c-{uuid.uuid4().hex[:12]}")
    feed(
        events.published(
            "a", "b", weekly_budget=650.0, goal="application", starts_on=date(2026, 11, 2)
        ),
        paused.published("x"),
        paused.paused(),
        facts_only.lead_submitted("y", datetime(2026, 11, 3, 10, tzinfo=UTC)),
    )
    return events, paused


def test_every_campaign_with_a_state_is_listed_with_its_status(
    client: TestClient, auth: dict[str, str], two_campaigns: tuple[Events, Events]
) -> None:
    published, paused = two_campaigns

    response = client.get("/v1/campaigns", headers=auth)

    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["campaign_id"] for item in items] == sorted(
        [published.campaign_id, paused.campaign_id]
    )
    by_id = {item["campaign_id"]: item for item in items}
    assert by_id[published.campaign_id] == {
        "campaign_id": published.campaign_id,
        "tenant_id": "tenant-1",
        "slug": "klantenservice",
        "name": "Klantenservice Utrecht",
        "goal": "application",
        "weekly_budget": 650.0,
        "status": "published",
        "starts_on": "2026-11-02",
        "ends_on": None,
    }
    assert (by_id[paused.campaign_id]["status"], by_id[paused.campaign_id]["tenant_id"]) == (
        "paused",
        "tenant-2",
    )


def test_the_status_filter_keeps_only_the_published_campaigns(
    client: TestClient, auth: dict[str, str], two_campaigns: tuple[Events, Events]
) -> None:
    published, _paused = two_campaigns

    response = client.get("/v1/campaigns", params={"status": "published"}, headers=auth)

    assert response.status_code == 200
    assert [item["campaign_id"] for item in response.json()["items"]] == [published.campaign_id]


def test_no_campaigns_is_an_empty_list(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get("/v1/campaigns", params={"status": "paused"}, headers=auth)

    assert (response.status_code, response.json()) == (200, {"items": []})


def test_an_unknown_status_is_a_422_problem(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get("/v1/campaigns", params={"status": "draft"}, headers=auth)

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 422


def test_the_list_needs_the_service_token(client: TestClient) -> None:
    assert client.get("/v1/campaigns").status_code == 401
    wrong = client.get("/v1/campaigns", headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 401


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_whatever_is_asked_the_list_never_answers_with_a_server_error(
    client: TestClient,
    auth: dict[str, str],
    two_campaigns: tuple[Events, Events],
    mode: GenerationMode,
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app).include(
        path_regex=r"^/v1/campaigns$"
    )

    @given(case=schema.as_strategy(mode))
    @hypothesis_settings(
        max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def call(case: Any) -> None:
        response = case.call(headers=auth)
        assert response.status_code < 500, f"{case.formatted_path}: {response.text[:300]}"
        if response.status_code >= 400:
            problem = response.json()
            assert problem["status"] == response.status_code and problem["title"]
        else:
            assert {item["status"] for item in response.json()["items"]} <= {
                "published",
                "paused",
            }

    call()
