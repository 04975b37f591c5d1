"""The real httpx client against a small HTTP server standing in for analytics."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from campaigns.insights.analytics_client import AnalyticsUnavailable, HttpAnalyticsClient

pytestmark = pytest.mark.unit

TOKEN = "service-token-for-tests"
WEEK = {
    "visits": 120,
    "quiz_starts": 30,
    "lead_starts": 12,
    "apply_starts": 4,
    "quiz_completions": 25,
    "qualified_quiz": 11,
    "leads": 9,
    "applications": 3,
    "interviews": 1,
    "hires": 0,
    "spend": 210.5,
    "impressions": 30000,
    "clicks": 310,
}


def stand_in_analytics(seen: list[str]) -> FastAPI:
    app = FastAPI()

    @app.get("/v1/campaigns/{campaign_id}/funnel")
    def funnel(campaign_id: str, request: Request) -> Any:
        seen.append(request.headers.get("authorization", ""))
        if campaign_id == "unknown":
            return JSONResponse({"title": "Not found"}, status_code=404)
        if campaign_id == "broken":
            return JSONResponse({"title": "Internal error"}, status_code=500)
        if campaign_id == "garbled":
            return {"unexpected": True}
        return {
            "campaign_id": campaign_id,
            "variants": [
                {"variant_id": "tiktok", "weeks": [{"week": "2026-W47", **WEEK}], "totals": WEEK}
            ],
            "totals": WEEK,
        }

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def analytics_server() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(stand_in_analytics(seen), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", seen
    server.should_exit = True
    thread.join(timeout=5)


def test_reads_the_funnel_with_the_service_token(analytics_server: tuple[str, list[str]]) -> None:
    url, seen = analytics_server
    client = HttpAnalyticsClient(url, TOKEN)
    try:
        funnel = client.campaign_funnel("c-123")
    finally:
        client.close()

    assert seen == [f"Bearer {TOKEN}"]
    assert funnel is not None and funnel.campaign_id == "c-123"
    [tiktok] = funnel.variants
    assert tiktok.totals.entry_starts == 46
    assert tiktok.totals.spend == Decimal("210.5")
    assert tiktok.weeks["2026-W47"].leads == 9


def test_no_data_is_none_and_failures_are_unavailable(
    analytics_server: tuple[str, list[str]],
) -> None:
    url, _ = analytics_server
    client = HttpAnalyticsClient(url, TOKEN)
    try:
        assert client.campaign_funnel("unknown") is None
        for campaign_id in ("broken", "garbled"):
            with pytest.raises(AnalyticsUnavailable):
                client.campaign_funnel(campaign_id)
    finally:
        client.close()


def test_an_unreachable_service_is_unavailable() -> None:
    client = HttpAnalyticsClient(f"http://127.0.0.1:{free_port()}", TOKEN, timeout_s=0.5)
    try:
        with pytest.raises(AnalyticsUnavailable):
            client.campaign_funnel("c-123")
    finally:
        client.close()
