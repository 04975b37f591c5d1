"""Consumers ride out a broker restart and poison on every topic, with no process restarted.

Real processes (tests/support): the three APIs, relays and consumers on their own
embedded broker.

- The broker is stopped for 30 s and started again (empty: the embedded broker keeps its
  log in memory) while candidates keep leaving leads. Every consumer sees commit errors,
  unknown member ids and a group that is gone; none may exit, and analytics must count
  every lead exactly once.
- A poison record of every kind is written to every consumed topic. Each consumer
  dead-letters it with its reason, keeps running, and still applies what follows.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from kafka import KafkaConsumer, KafkaProducer

from koers.broker import EmbeddedBroker
from koers.events import (
    ALLOCATIONS_TOPIC,
    CAMPAIGN_STATE_TOPIC,
    CANDIDATE_EVENTS_TOPIC,
    DEAD_LETTER_TOPIC,
    DELIVERY_TOPIC,
    LEAD_OUTCOMES_TOPIC,
    MAX_MESSAGE_BYTES,
    PageViewed,
    SpendRecorded,
    new_envelope,
)
from tests.conftest import free_port
from tests.reliability.test_broker_outage import _campaign_id, leads_in_analytics
from tests.support import loopback
from tests.support.html import hidden_fields
from tests.support.processes import Stack, wait_until

pytestmark = pytest.mark.reliability

SLUG = "demo-klantenservice"
OUTAGE_S = 30
CONSUMERS = ("campaigns-consumer", "landing-consumer", "analytics-consumer")
CONSUMED = {  # consumer group -> topics it reads
    "landing": (CAMPAIGN_STATE_TOPIC,),
    "analytics": (
        CANDIDATE_EVENTS_TOPIC,
        DELIVERY_TOPIC,
        CAMPAIGN_STATE_TOPIC,
        LEAD_OUTCOMES_TOPIC,
    ),
    "campaigns": (ALLOCATIONS_TOPIC,),
}


def quiet_stack(make_stack: Callable[[str], Stack], bootstrap_servers: str) -> Stack:
    stack = make_stack(bootstrap_servers)
    stack.extra_env["KOERS_LANDING_RATE_LIMIT_PER_MINUTE"] = "0"  # all leads from 127.0.0.1
    return stack


def leave_lead(candidate: httpx.Client, stack: Stack, number: int) -> bool:
    """One candidate leaves a lead; True when landing accepted it."""
    lead_url = f"{stack.url('landing')}/j/{SLUG}/lead?v=instagram"
    form = candidate.get(lead_url)
    posted = candidate.post(
        lead_url,
        data={
            **hidden_fields(form.text),
            "name": f"Kandidaat {number}",
            "phone": "",
            "email": f"kandidaat{number}@example.org",
            "contact_channel": "email",
            "consent": "yes",
        },
    )
    return posted.status_code == 303


def assert_still_running(stack: Stack) -> None:
    for name in (*CONSUMERS, "campaigns-relay", "landing-relay", "analytics-relay"):
        assert stack.processes[name].poll() is None, f"{name} exited:\n{stack.logs()}"


def test_consumers_ride_out_a_broker_restart_while_candidates_leave_leads(
    make_stack: Callable[[str], Stack], tmp_path: Path
) -> None:
    port = free_port()
    broker = EmbeddedBroker(port=port, log_path=tmp_path / "broker.log")
    broker.start()
    stack = quiet_stack(make_stack, broker.bootstrap_servers)
    stack.extra_env["KOERS_RELAY_VERIFY_INTERVAL_S"] = "5"  # notice the empty broker soon
    accepted = 0
    stop_candidates = threading.Event()

    def candidates() -> None:
        nonlocal accepted
        with loopback.client(timeout=10) as candidate:
            while not stop_candidates.wait(0.5):
                if leave_lead(candidate, stack, accepted):
                    accepted += 1

    try:
        stack.start_all()
        stack.run("campaigns", "seed-demo")
        wait_until(
            lambda: loopback.get(f"{stack.url('landing')}/j/{SLUG}", timeout=2).status_code == 200,
            60,
            message="the published page to arrive at landing",
        )
        campaign_id = _campaign_id(stack)
        writer = threading.Thread(target=candidates)
        writer.start()
        try:
            wait_until(lambda: leads_in_analytics(stack, campaign_id) >= 3, 60, message="leads")
            broker.stop()
            time.sleep(OUTAGE_S)
            broker = EmbeddedBroker(port=port, log_path=tmp_path / "broker-again.log")
            broker.start()
            time.sleep(10)  # candidates keep coming while everyone reconnects
        finally:
            stop_candidates.set()
            writer.join(30)

        assert accepted > 10
        wait_until(
            lambda: leads_in_analytics(stack, campaign_id) == accepted,
            120,
            message=f"all {accepted} leads counted after the restart",
        )
        time.sleep(5)  # redeliveries must not count twice, late either
        assert leads_in_analytics(stack, campaign_id) == accepted
        assert_still_running(stack)
    finally:
        stack.stop_all()
        broker.stop()


def poison_records(campaign_id: str) -> list[tuple[str, bytes | None, bytes | None]]:
    """(kind, key, value) of every kind of poison, the same on every topic."""
    valid = json.loads(
        new_envelope(
            PageViewed(variant_id="x", visitor_key="k" * 16, visited_at=datetime.now(UTC)),
            source="test",
            tenant_id="t",
            campaign_id=campaign_id,
        ).to_bytes()
    )
    key = campaign_id.encode()
    return [
        ("deep nesting", key, b"[" * 100_000 + b"]" * 100_000),
        ("huge", key, b'{"x": "' + b"y" * MAX_MESSAGE_BYTES + b'"}'),
        ("invalid UTF-8", key, b'{"event_id": "\xff\xfe"}'),
        ("wrong types", key, json.dumps({**valid, "event_id": 5, "payload": [1]}).encode()),
        ("null value", key, None),
        ("no key, not an object", None, b"[1, 2, 3]"),
        ("a string", key, b'"hello"'),
        ("missing fields", key, json.dumps({"type": "PageViewed"}).encode()),
    ]


def a_spend_no_database_can_store(campaign_id: str) -> bytes:
    """Valid by contract, but a handler error on every attempt: 10^30 impressions."""
    spend = SpendRecorded(
        variant_id="facebook",
        day=date(2026, 11, 2),
        spend=1.0,
        impressions=10**30,
        clicks=1,
        import_id="poison",
    )
    envelope = new_envelope(spend, source="test", tenant_id="t", campaign_id=campaign_id)
    return envelope.to_bytes()


def dead_letters(bootstrap_servers: str, campaign_key: str) -> Counter[tuple[str, str]]:
    """(consumer group, original topic) -> letters for records keyed by ``campaign_key``
    (or without key)."""
    reader = KafkaConsumer(
        DEAD_LETTER_TOPIC,
        bootstrap_servers=bootstrap_servers,
        group_id=f"dlq-reader-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    found: Counter[tuple[str, str]] = Counter()
    try:
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 8:
            for batch in reader.poll(timeout_ms=500).values():
                for record in batch:
                    quiet_since = time.monotonic()
                    letter = json.loads(record.value)
                    if letter["original_key"] in (campaign_key, None):
                        found[(letter["consumer_group"], letter["original_topic"])] += 1
    finally:
        reader.close()
    return found


def test_poison_on_every_consumed_topic_is_dead_lettered_and_nothing_stops(
    make_stack: Callable[[str], Stack], tmp_path: Path
) -> None:
    broker = EmbeddedBroker(port=free_port(), log_path=tmp_path / "broker.log")
    broker.start()
    stack = quiet_stack(make_stack, broker.bootstrap_servers)
    try:
        stack.start_all()
        poison_key = f"poison-{uuid.uuid4().hex[:8]}"
        poison = poison_records(poison_key)
        producer = KafkaProducer(
            bootstrap_servers=broker.bootstrap_servers, acks="all", max_request_size=4 * 2**20
        )
        for topic in sorted({topic for topics in CONSUMED.values() for topic in topics}):
            for _kind, key, value in poison:
                producer.send(topic, key=key, value=value)
        producer.send(
            DELIVERY_TOPIC, key=poison_key.encode(), value=a_spend_no_database_can_store(poison_key)
        )
        producer.flush()
        producer.close()

        # What follows the poison is still applied: the campaign published after it
        # reaches landing, and every lead left after it is counted once.
        stack.run("campaigns", "seed-demo")
        wait_until(
            lambda: loopback.get(f"{stack.url('landing')}/j/{SLUG}", timeout=2).status_code == 200,
            90,
            message="the page published after the poison to arrive at landing",
        )
        campaign_id = _campaign_id(stack)
        with loopback.client(timeout=10) as candidate:
            accepted = sum(leave_lead(candidate, stack, n) for n in range(5))
        wait_until(
            lambda: leads_in_analytics(stack, campaign_id) == accepted,
            90,
            message="the leads left after the poison to be counted",
        )

        expected: Counter[tuple[str, str]] = Counter()
        for group, topics in CONSUMED.items():
            for topic in topics:
                # campaign-state is read by two groups: both dead-letter their copy
                expected[(group, topic)] = len(poison)
        expected[("analytics", DELIVERY_TOPIC)] += 1  # the spend no database can store
        wait_until(
            lambda: dead_letters(broker.bootstrap_servers, poison_key) == expected,
            60,
            interval_s=1,
            message=f"one dead letter per poison record: {expected}",
        )
        assert leads_in_analytics(stack, campaign_id) == accepted
        assert_still_running(stack)
        logs = stack.logs()
        assert "kandidaat" not in logs.lower() and "@example.org" not in logs
    finally:
        stack.stop_all()
        broker.stop()
