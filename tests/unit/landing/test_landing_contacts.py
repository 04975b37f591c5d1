"""The contact history beside the lead: attempts, a reply, the facts for speed to lead,
and erasure taking the history with the candidate."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from landing_support import SERVICE_TOKEN, FrozenClock
from test_landing_internal_api import submit_lead

from koers.events import CampaignPublished
from landing.contacts.repository import lead_contacts

pytestmark = pytest.mark.unit

AUTH = {"authorization": f"Bearer {SERVICE_TOKEN}"}
TENANT = "/internal/v1/tenants/acme"


def only_lead(client: TestClient) -> dict[str, object]:
    page = client.get(f"{TENANT}/campaigns/cmp-1/leads", headers=AUTH).json()
    assert page["total"] == 1
    lead: dict[str, object] = page["items"][0]
    return lead


def contact(client: TestClient, lead_id: object, kind: str, at: str, channel: str = "whatsapp"):
    return client.post(
        f"{TENANT}/leads/{lead_id}/contacts",
        json={"kind": kind, "channel": channel, "at": at, "recruiter_id": "user-1"},
        headers=AUTH,
    )


def test_an_attempt_marks_a_new_lead_contacted_and_a_reply_follows_it(
    client: TestClient, published: CampaignPublished, clock: FrozenClock
) -> None:
    submit_lead(client, "Anna de Vries", "anna@voorbeeld.nl")
    lead = only_lead(client)

    early_reply = contact(client, lead["lead_id"], "reply", "2025-03-12T10:00:00Z")
    attempt = contact(client, lead["lead_id"], "attempt", "2025-03-12T10:00:00Z")
    reply = contact(client, lead["lead_id"], "reply", "2025-03-12T11:30:00Z")
    second_reply = contact(client, lead["lead_id"], "reply", "2025-03-12T12:00:00Z")

    assert early_reply.status_code == 409
    assert early_reply.json()["detail"] == "A reply can only be marked after a contact attempt."
    assert attempt.status_code == reply.status_code == 200
    assert second_reply.status_code == 409
    after = only_lead(client)
    assert after["status"] == "contacted"
    assert [(c["kind"], c["channel"], c["at"]) for c in after["contacts"]] == [  # type: ignore[attr-defined]
        ("attempt", "whatsapp", "2025-03-12T10:00:00Z"),
        ("reply", "whatsapp", "2025-03-12T11:30:00Z"),
    ]


def test_a_contact_is_never_earlier_than_the_lead(
    client: TestClient, published: CampaignPublished, clock: FrozenClock
) -> None:
    submit_lead(client, "Anna de Vries", "anna@voorbeeld.nl")
    lead = only_lead(client)

    recorded = contact(client, lead["lead_id"], "attempt", "2025-03-11T08:00:00Z")

    assert recorded.json()["at"] == lead["created_at"]


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "visit", "channel": "whatsapp", "at": "2025-03-12T10:00:00Z", "recruiter_id": "u"},
        {"kind": "attempt", "channel": "pigeon", "at": "2025-03-12T10:00:00Z", "recruiter_id": "u"},
        {"kind": "attempt", "channel": "email", "at": "yesterday", "recruiter_id": "u"},
        {"kind": "attempt", "channel": "email", "at": "2025-03-12T10:00:00Z", "recruiter_id": ""},
        {
            "kind": "attempt",
            "channel": "email",
            "at": "2025-03-12T10:00:00Z",
            "recruiter_id": "u",
            "text": "Hoi Anna",
        },
    ],
)
def test_bad_contacts_are_422_problems(
    client: TestClient, published: CampaignPublished, body: dict[str, str]
) -> None:
    submit_lead(client, "Anna de Vries", "anna@voorbeeld.nl")
    lead = only_lead(client)

    response = client.post(f"{TENANT}/leads/{lead['lead_id']}/contacts", json=body, headers=AUTH)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_another_tenant_cannot_record_or_read_contacts(
    client: TestClient, published: CampaignPublished
) -> None:
    submit_lead(client, "Anna de Vries", "anna@voorbeeld.nl")
    lead = only_lead(client)
    contact(client, lead["lead_id"], "attempt", "2025-03-12T10:00:00Z")

    foreign = client.post(
        f"/internal/v1/tenants/other/leads/{lead['lead_id']}/contacts",
        json={
            "kind": "attempt",
            "channel": "email",
            "at": "2025-03-12T10:00:00Z",
            "recruiter_id": "u",
        },
        headers=AUTH,
    )
    facts = client.get(
        "/internal/v1/tenants/other/campaigns/cmp-1/contact-facts?since=2025-01-01T00:00:00Z",
        headers=AUTH,
    )

    assert foreign.status_code == 404
    assert facts.json()["items"] == []


def test_contact_facts_carry_moments_and_channels_but_no_personal_data(
    client: TestClient, published: CampaignPublished, clock: FrozenClock
) -> None:
    submit_lead(client, "Anna de Vries", "anna@voorbeeld.nl")
    clock.advance(hours=1)
    submit_lead(client, "Bram Jansen", "bram@voorbeeld.nl")
    leads = client.get(f"{TENANT}/campaigns/cmp-1/leads", headers=AUTH).json()["items"]
    contact(client, leads[1]["lead_id"], "attempt", "2025-03-12T12:00:00Z", "email")

    response = client.get(
        f"{TENANT}/campaigns/cmp-1/contact-facts?since=2025-03-01T00:00:00Z", headers=AUTH
    )

    body = response.json()
    assert response.status_code == 200
    assert [item["lead_id"] for item in body["items"]] == [leads[0]["lead_id"], leads[1]["lead_id"]]
    assert body["items"][1]["contacts"][0]["channel"] == "email"
    assert "Anna" not in response.text and "voorbeeld.nl" not in response.text
    later = client.get(
        f"{TENANT}/campaigns/cmp-1/contact-facts?since=2025-04-01T00:00:00Z", headers=AUTH
    )
    assert later.json()["items"] == []


def test_erasing_a_candidate_erases_their_contact_history(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    submit_lead(client, "Anna de Vries", "anna@voorbeeld.nl")
    lead = only_lead(client)
    contact(client, lead["lead_id"], "attempt", "2025-03-12T10:00:00Z")
    contact(client, lead["lead_id"], "reply", "2025-03-12T11:00:00Z")
    exported = client.post(
        f"{TENANT}/candidates/export", json={"lead_id": lead["lead_id"]}, headers=AUTH
    ).json()

    erased = client.post(
        f"{TENANT}/candidates/erase", json={"lead_id": lead["lead_id"]}, headers=AUTH
    )

    assert [c["kind"] for c in exported["candidates"][0]["contacts"]] == ["attempt", "reply"]
    assert erased.status_code == 200
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(lead_contacts)).scalar() == 0
