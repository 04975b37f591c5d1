"""SIGKILL the landing process while 1,000 candidates send the lead form at once.

Every submission the server acknowledged (303) must be stored with its LeadSubmitted
event; a candidate whose answer was lost sends the same form again (same token) and gets
one lead, not two; and analytics, reading what the relay published, counts each lead
exactly once. Real processes: ``koers-landing serve``/``relay``/``consume``,
``koers-analytics consume``/``serve``, the embedded Kafka-protocol broker.
"""

from __future__ import annotations

import re
import signal
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from koers.broker import EmbeddedBroker
from koers.db import make_engine
from koers.events import (
    CAMPAIGN_STATE_TOPIC,
    new_envelope,
)
from koers.messaging.schema import outbox_table
from koers.messaging.transport import KafkaPublisher
from landing.submissions.repository import leads
from landing.submissions.tokens import TokenSigner
from tests.conftest import free_port
from tests.support import loopback
from tests.support.processes import SERVICES, Stack, wait_until
from tests.support.published_pages import lead_form_campaign

pytestmark = pytest.mark.reliability

SUBMISSIONS = 1000
KILL_AFTER = 250  # acknowledged submissions before the SIGKILL


@dataclass
class LoadStack(Stack):
    """The usual stack, with landing's per-IP limit off: every candidate here is
    127.0.0.1, and the limit would turn the load into 429s."""

    @property
    def env(self) -> dict[str, str]:
        env = super().env
        env.update(
            {
                "KOERS_LANDING_RATE_LIMIT_PER_MINUTE": "0",
                "KOERS_LANDING_MIN_FILL_SECONDS": "0",
                "KOERS_LANDING_CV_DIR": str(self.workdir / "cvs"),
            }
        )
        return env


def _publish(stack: Stack, campaign_id: str, slug: str) -> None:
    published = lead_form_campaign(slug, "Belasting")
    envelope = new_envelope(published, source="campaigns", tenant_id="t1", campaign_id=campaign_id)
    publisher = KafkaPublisher(stack.bootstrap_servers, client_id="kill-test-campaigns")
    publisher.publish([(CAMPAIGN_STATE_TOPIC, campaign_id, envelope.to_bytes())], 30)
    publisher.close()


def _analytics_leads(stack: Stack, campaign_id: str) -> int:
    response = loopback.get(
        f"{stack.url('analytics')}/v1/campaigns/{campaign_id}/funnel",
        headers={"Authorization": f"Bearer {stack.service_token}"},
        timeout=5,
    )
    if response.status_code == 404:
        return 0
    response.raise_for_status()
    return int(response.json()["totals"]["leads"])


@pytest.mark.timeout(900)
def test_acknowledged_leads_survive_a_sigkill_and_are_counted_once(
    broker: EmbeddedBroker, tmp_path: Path, make_migrated_database_url: Callable[[str], str]
) -> None:
    workdir = tmp_path / "stack"
    (workdir / "var").mkdir(parents=True)
    stack = LoadStack(
        workdir=workdir,
        bootstrap_servers=broker.bootstrap_servers,
        database_urls={s: make_migrated_database_url(s) for s in SERVICES},
        ports={s: free_port() for s in SERVICES},
    )
    campaign_id = f"cmp-{uuid.uuid4().hex[:8]}"
    slug = f"kill-{campaign_id}"
    try:
        stack.start("landing-consumer", "landing", "consume")
        stack.start("landing-relay", "landing", "relay")
        stack.start("analytics-consumer", "analytics", "consume")
        stack.start_api("analytics")
        stack.start_api("landing")
        _publish(stack, campaign_id, slug)
        base = stack.url("landing")
        wait_until(
            lambda: loopback.get(f"{base}/j/{slug}", timeout=2).status_code == 200,
            90,
            message="the published page at landing",
        )

        # 1,000 candidates open the form (each a visit of its own)...
        def open_form(_: int) -> str:
            with loopback.client(timeout=30) as client:
                html = client.get(f"{base}/j/{slug}/lead?v=v1").text
            found = re.search(r'name="form_token" value="([^"]+)"', html)
            assert found
            return found.group(1)

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            tokens = list(pool.map(open_form, range(SUBMISSIONS)))
        print(f"opened {len(tokens)} forms in {time.monotonic() - started:.1f}s", flush=True)

        # ...and send it at once; the landing process is killed mid-stream.
        acknowledged: dict[str, str] = {}  # form token -> thank-you location
        lock = threading.Lock()
        killed = threading.Event()

        def send(token: str) -> None:
            data = {
                "form_token": token,
                "name": "Belasting Kandidaat",
                "phone": "06 12345678",
                "contact_channel": "phone",
                "consent": "yes",
            }
            try:
                response = loopback.post(f"{base}/j/{slug}/lead", data=data, timeout=30)
            except httpx.HTTPError:
                return  # the connection died with the process: not acknowledged
            if response.status_code == 303:
                with lock:
                    acknowledged[token] = response.headers["location"]
                    if len(acknowledged) >= KILL_AFTER and not killed.is_set():
                        killed.set()
                        stack.kill("landing-api", signal.SIGKILL)

        with ThreadPoolExecutor(max_workers=50) as pool:
            list(pool.map(send, tokens))
        print(
            f"sent, {len(acknowledged)} acknowledged, at {time.monotonic() - started:.1f}s",
            flush=True,
        )
        assert killed.is_set(), "the process was killed during the submissions"
        acknowledged_before_kill = dict(acknowledged)
        assert KILL_AFTER <= len(acknowledged_before_kill) < SUBMISSIONS

        # Every acknowledged submission is stored, with its event, right after the kill.
        signer = TokenSigner("landing-test-secret")
        acknowledged_ids = set()
        for location in acknowledged_before_kill.values():
            receipt_token = re.search(r"[?&]r=([^&]+)", location)
            assert receipt_token
            receipt = signer.read_receipt(receipt_token.group(1), campaign_id)
            assert receipt is not None
            acknowledged_ids.add(receipt.lead_id)
        engine = make_engine(stack.database_urls["landing"])
        with engine.connect() as conn:
            stored_ids = {
                str(i)
                for i in conn.execute(
                    sa.select(leads.c.lead_id).where(leads.c.campaign_id == campaign_id)
                ).scalars()
            }
            events = (
                conn.execute(
                    sa.select(outbox_table.c.value).where(
                        outbox_table.c.value.contains('"type":"LeadSubmitted"')
                    )
                )
                .scalars()
                .all()
            )
        event_ids = {re.search(r'"lead_id":"([^"]+)"', e).group(1) for e in events}  # type: ignore[union-attr]
        assert acknowledged_ids <= stored_ids
        assert acknowledged_ids <= event_ids
        assert stored_ids == event_ids

        # The candidates who got no answer send the same form again after the restart.
        stack.start_api("landing")
        with ThreadPoolExecutor(max_workers=50) as pool:
            list(pool.map(send, [t for t in tokens if t not in acknowledged_before_kill]))
        print(f"retried, at {time.monotonic() - started:.1f}s", flush=True)
        assert len(acknowledged) == SUBMISSIONS
        with engine.connect() as conn:
            total = conn.execute(
                sa.select(sa.func.count())
                .select_from(leads)
                .where(leads.c.campaign_id == campaign_id)
            ).scalar_one()
            lead_events = conn.execute(
                sa.select(sa.func.count())
                .select_from(outbox_table)
                .where(outbox_table.c.value.contains('"type":"LeadSubmitted"'))
            ).scalar_one()
        engine.dispose()
        assert total == lead_events == SUBMISSIONS  # one lead per form, never two

        # Analytics counts each lead once.
        wait_until(
            lambda: _analytics_leads(stack, campaign_id) >= SUBMISSIONS,
            180,
            interval_s=1,
            message="analytics to count every lead",
        )
        time.sleep(3)  # let any duplicate arrive, if there were one
        assert _analytics_leads(stack, campaign_id) == SUBMISSIONS
        print(
            f"acknowledged before SIGKILL: {len(acknowledged_before_kill)}; stored then: "
            f"{len(stored_ids)}; after retries: {total}; counted by analytics: {SUBMISSIONS}"
        )
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop_all()
