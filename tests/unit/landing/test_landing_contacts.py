"""The contact history beside the lead: attempts, a reply, the facts for speed to lead,
and erasure taking the history with the candidate."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from httpx import Response
from landing_support import SERVICE_TOKEN, FrozenClock
from test_landing_internal_api import submit_lead

from koers.db import transaction
from koers.events import CampaignPublished
from landing.contacts.repository import lead_contacts
from landing.submissions.repository import Lead, insert_leads

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


# --- the batched form: several campaigns of a tenant at once ------------------------------


def foreign_lead(engine: sa.Engine, *, tenant_id: str, campaign_id: str) -> str:
    """A lead of another employer, stored as the lead form stores one."""
    moment = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)
    lead_id = uuid.uuid4()
    with transaction(engine) as conn:
        insert_leads(
            conn,
            Lead(
                lead_id=lead_id,
                tenant_id=tenant_id,
                campaign_id=campaign_id,
                variant_id="v-1",
                entry_point="lead",
                name="Carla Ander",
                phone_e164=None,
                email="carla@ander.nl",
                contact_channel="email",
                best_moment=None,
                consent_text="Ik geef toestemming.",
                consented_at=moment,
                form_nonce=uuid.uuid4().hex,
                utm={},
                visited_at=moment,
                created_at=moment,
            ),
        )
    return str(lead_id)


def batched(client: TestClient, tenant: str, *campaigns: str, **params: str) -> Response:
    query = {"since": "2025-03-01T00:00:00Z", "campaign_id": list(campaigns), **params}
    return client.get(f"/internal/v1/tenants/{tenant}/contact-facts", params=query, headers=AUTH)


def test_the_batched_contact_facts_answer_each_campaign_as_the_single_form_does(
    client: TestClient, published: CampaignPublished, clock: FrozenClock
) -> None:
    submit_lead(client, "Anna de Vries", "anna@voorbeeld.nl")
    clock.advance(hours=1)
    submit_lead(client, "Bram Jansen", "bram@voorbeeld.nl")
    leads = client.get(f"{TENANT}/campaigns/cmp-1/leads", headers=AUTH).json()["items"]
    contact(client, leads[1]["lead_id"], "attempt", "2025-03-12T12:00:00Z", "email")
    single = client.get(
        f"{TENANT}/campaigns/cmp-1/contact-facts?since=2025-03-01T00:00:00Z", headers=AUTH
    ).json()

    response = batched(client, "acme", "cmp-1", "cmp-none", "cmp-1")
    newest_only = batched(client, "acme", "cmp-1", limit="1").json()["campaigns"]

    body = response.json()
    assert response.status_code == 200
    assert [c["campaign_id"] for c in body["campaigns"]] == ["cmp-1", "cmp-none"]
    assert body["campaigns"][0]["items"] == single["items"]
    assert body["campaigns"][0]["truncated"] is False
    assert body["campaigns"][1] == {"campaign_id": "cmp-none", "items": [], "truncated": False}
    assert "Anna" not in response.text and "voorbeeld.nl" not in response.text
    assert [i["lead_id"] for i in newest_only[0]["items"]] == [leads[0]["lead_id"]]
    assert newest_only[0]["truncated"] is True


def test_a_tenant_never_reads_another_tenants_facts_even_naming_its_campaigns(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    submit_lead(client, "Anna de Vries", "anna@voorbeeld.nl")
    theirs = foreign_lead(engine, tenant_id="other", campaign_id="cmp-other")

    ours = batched(client, "acme", "cmp-1", "cmp-other").json()["campaigns"]
    as_other = batched(client, "other", "cmp-1", "cmp-other").json()["campaigns"]

    assert len(ours[0]["items"]) == 1 and ours[1]["items"] == []
    assert as_other[0]["items"] == []
    assert [i["lead_id"] for i in as_other[1]["items"]] == [theirs]


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2025-03-01T00:00:00Z"},  # no campaign
        {"since": "yesterday", "campaign_id": "cmp-1"},
        {"campaign_id": "cmp-1"},  # no since
        {"since": "2025-03-01T00:00:00Z", "campaign_id": ""},
        {"since": "2025-03-01T00:00:00Z", "campaign_id": "c" * 65},
        {"since": "2025-03-01T00:00:00Z", "campaign_id": [f"c-{n}" for n in range(101)]},
        {"since": "2025-03-01T00:00:00Z", "campaign_id": "cmp-1", "limit": "0"},
        # Overflowed when turned to UTC (a 500 the fuzz test found), and far outside
        # any campaign's life.
        {"since": "0001-01-01T00:00:00+00:01", "campaign_id": "cmp-1"},
        {"since": "9999-12-31T23:59:59-01:00", "campaign_id": "cmp-1"},
    ],
)
def test_bad_batched_requests_are_422_problems(
    client: TestClient, params: dict[str, object]
) -> None:
    response = client.get("/internal/v1/tenants/acme/contact-facts", params=params, headers=AUTH)  # type: ignore[arg-type]

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_the_batched_contact_facts_need_the_service_token(client: TestClient) -> None:
    response = client.get(
        "/internal/v1/tenants/acme/contact-facts",
        params={"since": "2025-03-01T00:00:00Z", "campaign_id": "cmp-1"},
    )

    assert response.status_code == 401


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-01:00"])
def test_a_moment_outside_any_campaigns_life_is_refused_where_a_request_carries_one(
    client: TestClient, published: CampaignPublished, moment: str
) -> None:
    submit_lead(client, "Anna de Vries", "anna@voorbeeld.nl")
    lead_id = only_lead(client)["lead_id"]

    facts = client.get(
        f"{TENANT}/campaigns/cmp-1/contact-facts", params={"since": moment}, headers=AUTH
    )
    recorded = contact(client, lead_id, "attempt", moment)
    ended = client.patch(
        f"{TENANT}/leads/{lead_id}",
        json={"status": "rejected", "procedure_ended_at": moment},
        headers=AUTH,
    )

    for response in (facts, recorded, ended):
        assert response.status_code == 422, response.text
        assert "between 2000-01-01 and 2199-12-31" in response.text
    assert only_lead(client)["status"] == "new"
