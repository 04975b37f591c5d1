"""``POST /v1/allocate``: the same contract over HTTP, behind the service token."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.unit


def body(**overrides: Any) -> dict[str, Any]:
    return {
        "campaign_id": "c-api",
        "week": "2026-W48",
        "budget": 1200,
        "variants": [
            {"variant_id": "a", "channel": "indeed", "created_week": "2026-W40"},
            {"variant_id": "b", "channel": "linkedin", "created_week": "2026-W40"},
            {"variant_id": "c", "channel": "linkedin", "created_week": "2026-W47"},
        ],
        "history": [
            {
                "variant_id": "a",
                "week": "2026-W46",
                "spend": 400,
                "impressions": 1e4,
                "clicks": 500,
                "conversions": 40,
            },
            {
                "variant_id": "b",
                "week": "2026-W46",
                "spend": 400,
                "impressions": 1e4,
                "clicks": 100,
                "conversions": 9,
            },
            {
                "variant_id": "a",
                "week": "2026-W47",
                "spend": 400,
                "impressions": 1e4,
                "clicks": 500,
                "conversions": 25,
            },
            {
                "variant_id": "b",
                "week": "2026-W47",
                "spend": 400,
                "impressions": 1e4,
                "clicks": 100,
                "conversions": 5,
            },
        ],
        "previous_allocation": {"a": 400, "b": 400, "gone": 400},
        "policy": {"channel_caps": {"linkedin": 0.5}},
    } | overrides


def test_the_api_answers_with_the_contract(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post("/v1/allocate", json=body(), headers=auth)
    assert response.status_code == 200, response.text
    result = response.json()
    assert set(result) >= {
        "campaign_id",
        "week",
        "allocation",
        "p_best",
        "expected_cost_per_conversion",
        "explanation",
        "warnings",
        "variants",
        "expected_conversions",
        "equal_split_expected_conversions",
        "winner",
        "value_remaining",
    }
    allocation = result["allocation"]
    assert set(allocation) == {"a", "b", "c"}
    assert sum(allocation.values()) == pytest.approx(1200, abs=0.01)
    assert allocation["b"] + allocation["c"] <= 600 + 0.02
    assert all(amount >= 0 for amount in allocation.values())
    assert result["p_best"]["a"] > result["p_best"]["b"]


def test_the_api_refuses_callers_without_the_service_token(client: TestClient) -> None:
    response = client.post("/v1/allocate", json=body())
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "bad",
    [
        {"budget": -1},
        {"week": "2026-W54"},
        {"variants": []},
        {
            "history": [
                {
                    "variant_id": "a",
                    "week": "2026-W47",
                    "spend": 1,
                    "impressions": 1,
                    "clicks": 1,
                    "conversions": 1,
                }
            ]
            * 2
        },
        {"budget": "a lot"},
        {"policy": {"maturity_lag_weeks": 1}},
    ],
)
def test_invalid_requests_are_422_problems(
    client: TestClient, auth: dict[str, str], bad: dict[str, Any]
) -> None:
    response = client.post("/v1/allocate", json=body(**bad), headers=auth)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Invalid request"


def test_malformed_json_and_non_finite_numbers_are_4xx_problems_not_500(
    client: TestClient, auth: dict[str, str]
) -> None:
    headers = auth | {"content-type": "application/json"}
    for raw in (b"{not json", b"[" * 10_000, b'{"budget": NaN}', b'{"budget": 1e999}'):
        response = client.post("/v1/allocate", content=raw, headers=headers)
        assert response.status_code in (400, 422), (raw[:20], response.text)
        assert response.headers["content-type"] == "application/problem+json"
