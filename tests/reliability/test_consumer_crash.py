"""Crash and garbage tests for the analytics consumer: none lost, none twice, keeps going."""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from kafka import KafkaConsumer, KafkaProducer

from koers.broker import EmbeddedBroker
from koers.events import (
    CANDIDATE_EVENTS_TOPIC,
    DEAD_LETTER_TOPIC,
    EntryStarted,
    LeadSubmitted,
    PageViewed,
    Payload,
    new_envelope,
)
from tests.support import loopback
from tests.support.processes import Stack, wait_until

pytestmark = pytest.mark.reliability

VARIANTS = ("instagram", "tiktok", "linkedin", "facebook")
WEEKS = (
    datetime(2026, 11, 3, 10, tzinfo=UTC),
    datetime(2026, 11, 10, 10, tzinfo=UTC),
    datetime(2026, 11, 17, 10, tzinfo=UTC),
)


def candidate_stream(
    campaign_id: str, count: int, seed: int
) -> tuple[list[bytes], Counter[tuple[str, str, str]]]:
    """``count`` candidate events and the funnel counts they must produce."""
    rng = random.Random(seed)
    messages: list[bytes] = []
    expected: Counter[tuple[str, str, str]] = Counter()
    for _ in range(count):
        variant = rng.choice(VARIANTS)
        visited_at = rng.choice(WEEKS) + timedelta(hours=rng.randrange(0, 100))
        week = f"{visited_at.isocalendar().year}-W{visited_at.isocalendar().week:02d}"
        common = {"variant_id": variant, "visitor_key": uuid.uuid4().hex, "visited_at": visited_at}
        kind = rng.random()
        payload: Payload
        if kind < 0.6:
            payload, metric = PageViewed(**common), "visits"
        elif kind < 0.85:
            payload, metric = EntryStarted(entry_point="lead", **common), "lead_starts"
        else:
            payload = LeadSubmitted(lead_id=uuid.uuid4().hex, contact_channel="whatsapp", **common)
            metric = "leads"
        envelope = new_envelope(payload, source="test", tenant_id="t", campaign_id=campaign_id)
        messages.append(envelope.to_bytes())
        expected[(variant, week, metric)] += 1
    return messages, expected


def funnel_counts(stack: Stack, campaign_id: str) -> Counter[tuple[str, str, str]]:
    response = loopback.get(
        f"{stack.url('analytics')}/v1/campaigns/{campaign_id}/funnel",
        headers={"Authorization": f"Bearer {stack.service_token}"},
        timeout=5,
    )
    counts: Counter[tuple[str, str, str]] = Counter()
    if response.status_code == 404:
        return counts
    response.raise_for_status()
    for variant in response.json()["variants"]:
        for week in variant["weeks"]:
            for metric in ("visits", "lead_starts", "leads"):
                if week[metric]:
                    counts[(variant["variant_id"], week["week"], metric)] = week[metric]
    return counts


def test_consumer_killed_mid_stream_ends_with_exact_counts(
    broker: EmbeddedBroker, make_stack: Callable[[str], Stack]
) -> None:
    stack = make_stack(broker.bootstrap_servers)
    stack.start_api("analytics")
    stack.start("analytics-consumer", "analytics", "consume")

    campaign_id = f"crash-{uuid.uuid4().hex[:8]}"
    messages, expected = candidate_stream(campaign_id, 1000, seed=7)
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")

    def produce() -> None:
        for index, message in enumerate(messages):
            producer.send(CANDIDATE_EVENTS_TOPIC, key=campaign_id.encode(), value=message)
            if index == 24:
                producer.flush()
                # The stream's pace only means something once the consumer is at work: on
                # a loaded machine its start-up could outlast the whole stream.
                wait_until(
                    lambda: sum(funnel_counts(stack, campaign_id).values()) > 0,
                    120,
                    message="the consumer to apply the stream's first events",
                )
            if index % 25 == 24:
                producer.flush()
                # A steady ~10 s stream, so the kill lands in its middle: the consumer
                # applies a polled batch in one transaction and would otherwise have
                # caught up with the whole stream before the kill.
                time.sleep(0.25)
        producer.flush()

    writer = threading.Thread(target=produce)
    writer.start()
    try:
        wait_until(
            lambda: sum(funnel_counts(stack, campaign_id).values()) >= 100,
            60,
            message="the consumer to apply its first events",
        )
        stack.kill("analytics-consumer")  # SIGKILL: no chance to finish its batch
        applied_at_kill = sum(funnel_counts(stack, campaign_id).values())
        stack.start("analytics-consumer", "analytics", "consume")
    finally:
        writer.join(60)
        producer.close()

    assert 0 < applied_at_kill < 1000, "the kill must land in the middle of the stream"
    wait_until(
        lambda: funnel_counts(stack, campaign_id) == expected,
        90,
        message="exact counts after the restart",
    )
    time.sleep(2)  # nothing may be applied twice, late either
    assert funnel_counts(stack, campaign_id) == expected


def test_malformed_messages_are_dead_lettered_and_the_consumer_keeps_going(
    broker: EmbeddedBroker, make_stack: Callable[[str], Stack]
) -> None:
    stack = make_stack(broker.bootstrap_servers)
    stack.start_api("analytics")
    stack.start("analytics-consumer", "analytics", "consume")

    campaign_id = f"garbage-{uuid.uuid4().hex[:8]}"
    messages, expected = candidate_stream(campaign_id, 20, seed=11)
    wrong_contract = json.loads(messages[0])
    wrong_contract["event_id"] = str(uuid.uuid4())
    wrong_contract["payload"]["email"] = "someone@example.org"  # personal data: not allowed
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
    key = campaign_id.encode()
    producer.send(CANDIDATE_EVENTS_TOPIC, key=key, value=b"\x00\x01 definitely not json")
    producer.send(CANDIDATE_EVENTS_TOPIC, key=key, value=json.dumps(wrong_contract).encode())
    for message in messages:
        producer.send(CANDIDATE_EVENTS_TOPIC, key=key, value=message)
    producer.flush()
    producer.close()

    wait_until(
        lambda: funnel_counts(stack, campaign_id) == expected,
        60,
        message="the valid events after the garbage to be counted",
    )

    reader = KafkaConsumer(
        DEAD_LETTER_TOPIC,
        bootstrap_servers=broker.bootstrap_servers,
        group_id=f"dlq-reader-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
    )
    reasons: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(reasons) < 2:
        for batch in reader.poll(timeout_ms=500).values():
            for record in batch:
                letter = json.loads(record.value)
                if (
                    letter["original_key"] == campaign_id
                    and letter["consumer_group"] == "analytics"
                ):
                    reasons.append(letter["reason"])
    reader.close()
    assert len(reasons) == 2
    assert any(r.startswith("not JSON") for r in reasons)
    assert any("payload invalid" in r and "email" in r for r in reasons)
