"""The internal leads API the console calls with the service token."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from landing_support import SERVICE_TOKEN, FrozenClock, entry_links, form_token

from koers.events import CampaignPublished

pytestmark = pytest.mark.unit

AUTH = {"authorization": f"Bearer {SERVICE_TOKEN}"}


def submit_lead(client: TestClient, name: str, email: str) -> None:
    page = client.get("/j/klantenservice-utrecht?v=v-video")
    form = client.get(entry_links(page.text)["lead"])
    response = client.post(
        "/j/klantenservice-utrecht/lead",
        data={
            "form_token": form_token(form.text),
            "name": name,
            "email": email,
            "contact_channel": "email",
            "consent": "yes",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_internal_api_refuses_requests_without_the_service_token(client: TestClient) -> None:
    missing = client.get("/internal/v1/campaigns/cmp-1/leads")
    wrong = client.get(
        "/internal/v1/campaigns/cmp-1/leads", headers={"authorization": "Bearer nope"}
    )

    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["status"] == 401


def test_leads_are_listed_newest_first_one_page_at_a_time(
    client: TestClient, published: CampaignPublished, clock: FrozenClock
) -> None:
    for number in range(3):
        submit_lead(client, f"Kandidaat {number}", f"k{number}@voorbeeld.nl")
        clock.advance(minutes=1)

    first = client.get("/internal/v1/campaigns/cmp-1/leads?limit=2", headers=AUTH).json()
    rest = client.get("/internal/v1/campaigns/cmp-1/leads?limit=2&offset=2", headers=AUTH).json()

    assert first["total"] == rest["total"] == 3
    assert (first["limit"], first["offset"]) == (2, 0)
    assert [lead["name"] for lead in first["items"]] == ["Kandidaat 2", "Kandidaat 1"]
    assert [lead["name"] for lead in rest["items"]] == ["Kandidaat 0"]
    lead = rest["items"][0]
    assert lead["email"] == "k0@voorbeeld.nl"
    assert lead["contact_channel"] == "email"
    assert lead["variant_id"] == "v-video"
    assert lead["status"] == "new"
    assert "maximaal 12 maanden" in lead["consent_text"]
    assert "form_nonce" not in lead


def test_another_campaign_has_no_leads(client: TestClient) -> None:
    body = client.get("/internal/v1/campaigns/cmp-unknown/leads", headers=AUTH).json()

    assert body == {"items": [], "total": 0, "limit": 50, "offset": 0}


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "offset=-1", "limit=abc"])
def test_bad_paging_is_a_422_problem(client: TestClient, query: str) -> None:
    response = client.get(f"/internal/v1/campaigns/cmp-1/leads?{query}", headers=AUTH)

    assert response.status_code == 422
    assert response.json()["title"] == "Invalid request"


def test_one_lead_by_id_and_unknown_ids_are_404(
    client: TestClient, published: CampaignPublished
) -> None:
    submit_lead(client, "Kandidaat A", "a@voorbeeld.nl")
    [listed] = client.get("/internal/v1/campaigns/cmp-1/leads", headers=AUTH).json()["items"]

    found = client.get(f"/internal/v1/leads/{listed['lead_id']}", headers=AUTH)
    unknown = client.get(f"/internal/v1/leads/{uuid.uuid4()}", headers=AUTH)
    malformed = client.get("/internal/v1/leads/not-a-uuid", headers=AUTH)

    assert found.status_code == 200
    assert found.json() == listed
    assert unknown.status_code == malformed.status_code == 404
    assert unknown.json()["title"] == "Lead not found"
