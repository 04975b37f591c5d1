"""With the broker down a candidate can still leave a lead; it is counted once it is back."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from koers.broker import EmbeddedBroker
from tests.conftest import free_port
from tests.support import loopback
from tests.support.html import hidden_fields
from tests.support.processes import Stack, wait_until

pytestmark = pytest.mark.reliability

SLUG = "demo-klantenservice"


def leads_in_analytics(stack: Stack, campaign_id: str) -> int:
    response = loopback.get(
        f"{stack.url('analytics')}/v1/campaigns/{campaign_id}/funnel",
        headers={"Authorization": f"Bearer {stack.service_token}"},
        timeout=5,
    )
    if response.status_code == 404:
        return 0
    response.raise_for_status()
    return int(response.json()["totals"]["leads"])


def test_a_lead_left_while_the_broker_is_down_is_kept_and_counted_later(
    make_stack: Callable[[str], Stack], tmp_path: Path
) -> None:
    # A broker of its own: this test stops it, which must not disturb other tests.
    port = free_port()
    broker = EmbeddedBroker(port=port, log_path=tmp_path / "broker.log")
    broker.start()
    stack = make_stack(broker.bootstrap_servers)
    try:
        stack.start_all()
        stack.run("campaigns", "seed-demo")
        page_url = f"{stack.url('landing')}/j/{SLUG}?v=tiktok"
        wait_until(
            lambda: loopback.get(page_url, timeout=2).status_code == 200,
            60,
            message="the published page to arrive at landing",
        )
        campaign_id = _campaign_id(stack)

        broker.stop()
        ready = loopback.get(f"{stack.url('landing')}/readyz", timeout=5)
        assert ready.status_code == 200 and ready.json()["status"] == "degraded"

        lead_url = f"{stack.url('landing')}/j/{SLUG}/lead?v=tiktok"
        form = loopback.get(lead_url, timeout=5)
        posted = loopback.post(
            lead_url,
            data={
                **hidden_fields(form.text),
                "name": "Joris Bakker",
                "phone": "",
                "email": "joris@example.org",
                "contact_channel": "email",
                "consent": "yes",
            },
            timeout=10,
        )
        assert posted.status_code == 303, "accepted while the broker is down"
        stored = loopback.get(
            f"{stack.url('landing')}/internal/v1/campaigns/{campaign_id}/leads",
            headers={"Authorization": f"Bearer {stack.service_token}"},
            timeout=5,
        ).json()
        assert stored["total"] == 1
        time.sleep(3)  # relay and consumer keep retrying against the dead broker
        assert leads_in_analytics(stack, campaign_id) == 0

        broker = EmbeddedBroker(port=port, log_path=tmp_path / "broker-again.log")
        broker.start()
        wait_until(
            lambda: leads_in_analytics(stack, campaign_id) == 1,
            90,
            message="the lead to be counted once the broker is back",
        )
        time.sleep(2)
        assert leads_in_analytics(stack, campaign_id) == 1
    finally:
        stack.stop_all()
        broker.stop()


def _campaign_id(stack: Stack) -> str:
    console = loopback.client(base_url=stack.url("campaigns"), headers={"Accept": "text/html"})
    form = console.get("/login")
    console.post(
        "/login",
        data={
            **hidden_fields(form.text),
            "email": "demo@koers.local",
            "password": "demo-password-for-tests",
        },
    )
    campaign_id: str = console.get(f"/api/v1/campaigns/{SLUG}").json()["id"]
    return campaign_id
