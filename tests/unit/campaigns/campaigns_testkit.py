"""Helpers shared by the campaigns unit tests (a fake analytics client, logging in)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from campaigns.insights.analytics_client import AnalyticsUnavailable
from campaigns.insights.domain import CampaignFunnel, FunnelCounts, VariantFunnel

TODAY = date(2026, 11, 23)  # a Monday: the four complete weeks are 2026-W44..W47
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
DEMO_PASSWORD = "correct horse battery staple"
HTML = {"Accept": "text/html,application/xhtml+xml"}


class FakeAnalytics:
    """Implements AnalyticsClient: answers with a fixed funnel, nothing, or an outage."""

    def __init__(self, funnel: CampaignFunnel | None = None, *, down: bool = False) -> None:
        self.funnel = funnel
        self.down = down
        self.asked: list[str] = []

    def campaign_funnel(self, campaign_id: str) -> CampaignFunnel | None:
        self.asked.append(campaign_id)
        if self.down:
            raise AnalyticsUnavailable("connection refused")
        if self.funnel is None or self.funnel.campaign_id != campaign_id:
            return None
        return self.funnel

    def close(self) -> None:
        pass


def funnel_for(campaign_id: str, counts: dict[str, FunnelCounts]) -> CampaignFunnel:
    return CampaignFunnel(
        campaign_id=campaign_id,
        variants=tuple(VariantFunnel(variant_id=v, totals=c) for v, c in counts.items()),
        totals=FunnelCounts(),
    )


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def log_in(client: TestClient, email: str, password: str) -> None:
    token = csrf_from(client.get("/login", headers=HTML).text)
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
