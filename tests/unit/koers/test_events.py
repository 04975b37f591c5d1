from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from koers.events import (
    CANDIDATE_EVENTS_TOPIC,
    EVENT_TYPES,
    LEAD_OUTCOMES_TOPIC,
    InvalidEvent,
    LeadSubmitted,
    new_envelope,
    parse_envelope,
)

pytestmark = pytest.mark.unit


def lead_envelope() -> dict[str, object]:
    payload = LeadSubmitted(
        variant_id="instagram",
        visitor_key="k" * 64,
        visited_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        lead_id=str(uuid.uuid4()),
        contact_channel="whatsapp",
    )
    envelope = new_envelope(payload, source="landing", tenant_id="t1", campaign_id="c1")
    document: dict[str, object] = json.loads(envelope.to_bytes())
    return document


def test_envelope_round_trips_and_names_its_topic() -> None:
    raw = json.dumps(lead_envelope()).encode()
    envelope = parse_envelope(raw)
    assert envelope.type == "LeadSubmitted"
    assert envelope.topic == CANDIDATE_EVENTS_TOPIC
    assert isinstance(envelope.typed_payload(), LeadSubmitted)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d.update(type="LeadDeleted"), "unknown event type"),
        (lambda d: d.update(schema_version=2), "schema_version 2"),
        (lambda d: d.pop("event_id"), "event_id"),
        (lambda d: d["payload"].update(contact_channel="pigeon"), "contact_channel"),
        (lambda d: d["payload"].update(email="a@b.nl"), "email"),
    ],
)
def test_invalid_envelopes_are_refused_with_a_reason(mutate: object, reason: str) -> None:
    document = lead_envelope()
    mutate(document)  # type: ignore[operator]
    with pytest.raises(InvalidEvent) as refused:
        parse_envelope(json.dumps(document).encode())
    assert reason in refused.value.reason


@pytest.mark.parametrize("raw", [None, b"", b"\xff\xfe", b"not json", b"[1, 2]", b"{}"])
def test_garbage_is_refused(raw: bytes | None) -> None:
    with pytest.raises(InvalidEvent):
        parse_envelope(raw)


def test_candidate_payloads_carry_no_personal_data() -> None:
    forbidden = {"name", "email", "e_mail", "phone", "phone_e164", "cv", "ip", "user_agent"}
    about_candidates = {CANDIDATE_EVENTS_TOPIC, LEAD_OUTCOMES_TOPIC}
    checked = [t for t in EVENT_TYPES.values() if t.topic in about_candidates]
    assert len(checked) == 8
    for event_type in checked:
        fields = set(event_type.payload.model_fields)
        assert not fields & forbidden, event_type.name
