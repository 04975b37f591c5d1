"""Schemathesis against the facts, health, insights and allocation routes: whatever a
client sends, the API answers without a server error, and every error is a problem.

The database holds a published campaign with four weeks of facts; half of the generated
calls name that campaign and a real ISO week, so bodies reach the real rules instead of
stopping at a 404.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
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

ROUTES = r"^/v1/campaigns/\{campaign_id\}/(facts|health|insights|allocations)"


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_analytics_routes_never_answer_with_a_server_error(
    client: TestClient,
    auth: dict[str, str],
    feed: Feed,
    events: Events,
    campaign_id: str,
    mode: GenerationMode,
) -> None:
    feed(events.published("ig", events.variant("tt", channel="tiktok", creative_format="image")))
    for week in (44, 45, 46, 47):
        monday = date.fromisocalendar(2026, week, 1)
        visited = datetime.combine(monday, datetime.min.time(), UTC) + timedelta(hours=8)
        for variant, leads in (("ig", 6), ("tt", 2)):
            feed(events.spend(variant, monday, 80.0, clicks=40))
            feed(*(events.lead_submitted(variant, visited) for _ in range(leads)))
    rng = random.Random(4)
    seen: set[str] = set()
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app).include(path_regex=ROUTES)

    @given(case=schema.as_strategy(mode))
    @hypothesis_settings(
        max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def call(case: Any) -> None:
        if case.path_parameters and rng.random() < 0.5:
            case.path_parameters["campaign_id"] = campaign_id
            if "week" in case.path_parameters:
                case.path_parameters["week"] = rng.choice(["2026-W48", "2026-W49", "2026-W53"])
        response = case.call(headers=auth)
        seen.add(f"{case.method} {case.path}")
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
        )
        if response.status_code >= 400:
            problem = response.json()
            assert problem["status"] == response.status_code and problem["title"]

    call()
    assert len(seen) >= (6 if mode == GenerationMode.POSITIVE else 3)
