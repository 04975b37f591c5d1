"""POST /internal/v1/retention: the daily job over HTTP erases what the rules say, once,
answers with the counts, and refuses callers without the service token."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from landing_support import SERVICE_TOKEN, FrozenClock, entry_links, form_token

from koers.events import CampaignPublished
from landing.submissions.repository import leads

pytestmark = pytest.mark.unit

AUTH = {"authorization": f"Bearer {SERVICE_TOKEN}"}
SLUG = "/j/klantenservice-utrecht"
ROUTE = "/internal/v1/retention"


def leave_lead(client: TestClient) -> str:
    token = form_token(client.get(entry_links(client.get(SLUG).text)["lead"]).text)
    response = client.post(
        f"{SLUG}/lead",
        data={
            "form_token": token,
            "name": "Kandidaat",
            "email": f"{uuid.uuid4().hex[:8]}@example.nl",
            "contact_channel": "email",
            "consent": "yes",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    [item] = client.get(
        "/internal/v1/tenants/acme/campaigns/cmp-1/leads?limit=1", headers=AUTH
    ).json()["items"]
    return str(item["lead_id"])


def remaining(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return {str(lead_id) for lead_id in conn.execute(sa.select(leads.c.lead_id)).scalars()}


def test_a_run_erases_withdrawn_consent_and_reports_the_counts(
    client: TestClient, published: CampaignPublished, engine: sa.Engine, clock: FrozenClock
) -> None:
    withdrawn = leave_lead(client)
    clock.advance(minutes=1)
    kept = leave_lead(client)
    changed = client.patch(
        f"/internal/v1/tenants/acme/leads/{withdrawn}",
        json={"status": "contacted", "consent_withdrawn": True},
        headers=AUTH,
    )
    assert changed.status_code == 200

    response = client.post(ROUTE, headers=AUTH)

    assert response.status_code == 200
    body = response.json()
    assert (body["erased"], body["total_leads"]) == ({"consent_withdrawn": 1}, 1)
    assert body["summary"].startswith("retention: erased 1 candidate(s) (consent_withdrawn=1)")
    assert remaining(engine) == {kept}


def test_a_second_run_at_once_erases_nothing(
    client: TestClient, published: CampaignPublished, engine: sa.Engine, clock: FrozenClock
) -> None:
    kept = leave_lead(client)
    clock.advance(days=366)  # past the consent period: the first run erases it
    first = client.post(ROUTE, headers=AUTH).json()
    assert first["erased"] == {"consent_expired": 1}

    second = client.post(ROUTE, headers=AUTH)

    assert second.status_code == 200
    assert (second.json()["erased"], second.json()["total_leads"]) == ({}, 0)
    assert kept not in remaining(engine)


def test_the_route_needs_the_service_token(
    client: TestClient, published: CampaignPublished, engine: sa.Engine, clock: FrozenClock
) -> None:
    lead = leave_lead(client)
    clock.advance(days=366)

    missing = client.post(ROUTE)
    wrong = client.post(ROUTE, headers={"authorization": "Bearer wrong"})

    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert missing.json()["status"] == 401
    assert remaining(engine) == {lead}  # nothing ran


def test_only_post_runs_it(client: TestClient) -> None:
    response = client.get(ROUTE, headers=AUTH)

    assert response.status_code == 405
