"""The leads inbox against a real landing app: channels, filters, outcomes, exports, erasure."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from campaigns_testkit import DEMO_PASSWORD, NOW
from fastapi.testclient import TestClient
from insight_testkit import (
    HTML,
    SERVICE_TOKEN,
    add_landing_leads,
    add_person,
    add_tenant,
    campaigns_outbox,
    free_port,
    landing_app,
    log_in,
    serve,
)
from sqlalchemy import Engine

from campaigns.audit import repository as audit
from campaigns.catalog import repository as repo
from campaigns.config import Settings
from campaigns.main import create_app
from campaigns.seed import SeedResult
from tests.support.passwords import FAST_PASSWORD_HASHER

pytestmark = pytest.mark.unit

SLUG = "demo-klantenservice"


@pytest.fixture
def tenant_and_campaign(engine: Engine, seeded: SeedResult) -> tuple[str, str]:
    published = campaigns_outbox(engine, "CampaignPublished")[0]
    return published.tenant_id, published.campaign_id


@pytest.fixture
def landing(
    make_migrated_database_url: Callable[[str], str],
    tmp_path: Path,
    tenant_and_campaign: tuple[str, str],
) -> Iterator[tuple[str, Engine, dict[str, list[str]]]]:
    """Landing with 28 leads (whatsapp, tiktok) and 3 applications (phone, instagram)."""
    tenant_id, campaign_id = tenant_and_campaign
    app, engine = landing_app(make_migrated_database_url("landing"), tmp_path / "cvs")
    start = NOW - timedelta(days=3)
    ids = {
        "lead": add_landing_leads(
            engine,
            tenant_id=tenant_id,
            campaign_id=campaign_id,
            variant_id="tiktok",
            count=28,
            start=start,
        ),
        "apply": add_landing_leads(
            engine,
            tenant_id=tenant_id,
            campaign_id=campaign_id,
            variant_id="instagram",
            count=3,
            entry_point="apply",
            contact_channel="phone",
            start=start + timedelta(hours=2),
            name_prefix="Applicant",
        ),
    }
    with serve(app) as url:
        yield url, engine, ids
    engine.dispose()


def console(settings: Settings, landing_url: str) -> TestClient:
    configured = settings.model_copy(
        update={
            "landing_url": landing_url,
            "service_token": SERVICE_TOKEN,
            "analytics_url": f"http://127.0.0.1:{free_port()}",
        }
    )
    return TestClient(
        create_app(configured, clock=lambda: NOW, password_hasher=FAST_PASSWORD_HASHER)
    )


@pytest.fixture
def owner(
    settings: Settings, landing: tuple[str, Engine, dict[str, list[str]]], seeded: SeedResult
) -> Iterator[tuple[TestClient, str]]:
    with console(settings, landing[0]) as client:
        token = log_in(client, seeded.email, DEMO_PASSWORD)
        yield client, token


def lead_cards(html: str) -> list[str]:
    return re.findall(
        r'<li class="card lead" id="lead-[^"]+">.*?</li>\s*(?=<li class="card lead"|</ul>\s*<nav)',
        html,
        re.DOTALL,
    )


def test_the_inbox_shows_the_newest_leads_with_the_preferred_channel_first(
    owner: tuple[TestClient, str],
) -> None:
    client, _ = owner
    response = client.get("/leads", headers=HTML)

    assert response.status_code == 200
    page = response.text
    assert "31 leads · page 1 of 2" in page
    cards = lead_cards(page)
    assert len(cards) == 25
    first_applicant = next(c for c in cards if "Applicant 002" in c)
    links = re.findall(r'href="((?:https://wa\.me|tel:|mailto:)[^"]+)"', first_applicant)
    assert links[0] == "tel:+31612340002"  # this applicant prefers a phone call
    whatsapp_lead = next(c for c in cards if "Candidate 027" in c)
    links = re.findall(r'href="((?:https://wa\.me|tel:|mailto:)[^"]+)"', whatsapp_lead)
    assert [link.split("?")[0] for link in links] == [
        "https://wa.me/31612340027",
        "tel:+31612340027",
        "mailto:candidate27@example.nl",
    ]
    assert links[0].endswith(
        "?text=Hoi%20Candidate%2C%20bedankt%20voor%20je%20interesse%20in%20"
        "Klantenservicemedewerker%20%2832%E2%80%9340%20uur%29%21%20Zullen%20we"
        "%20even%20kort%20bellen%3F%20Laat%20maar%20weten%20wanneer%20het%20je"
        "%20uitkomt."
    )
    # "evening" on the candidate's form is 17:00-21:00 in Amsterdam, the default zone.
    assert "Best moment: <strong>17:00\N{EN DASH}21:00</strong>" in whatsapp_lead


def test_filters_and_pages(owner: tuple[TestClient, str]) -> None:
    client, _ = owner
    applications = client.get(f"/leads?campaign={SLUG}&entry_point=apply", headers=HTML).text
    assert (
        "3 leads" in applications
        and "Candidate" not in applications.split('<ul class="lead-list')[1]
    )

    by_creative = client.get(f"/leads?campaign={SLUG}&creative=instagram", headers=HTML).text
    assert "3 leads" in by_creative

    second = client.get(f"/leads?campaign={SLUG}&page=2", headers=HTML).text
    assert "page 2 of 2" in second and len(lead_cards(second)) == 6
    assert "Candidate 000" in second  # oldest last

    for bad in ("entry_point=phone", "status=maybe", "page=0", "campaign=Not%20A%20Slug"):
        assert client.get(f"/leads?{bad}", headers=HTML).status_code == 422
    assert client.get("/leads?campaign=no-such-campaign", headers=HTML).status_code == 404


def test_recording_an_outcome_updates_landing_and_queues_an_event_without_personal_data(
    owner: tuple[TestClient, str],
    landing: tuple[str, Engine, dict[str, list[str]]],
    engine: Engine,
) -> None:
    client, token = owner
    _, landing_engine, ids = landing
    lead_id = ids["lead"][5]

    for outcome in ("contacted", "interviewed", "hired"):
        response = client.post(
            f"/leads/{lead_id}/outcome",
            data={"outcome": outcome, "csrf_token": token, "back": f"/leads?campaign={SLUG}"},
            headers=HTML,
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"/leads?campaign={SLUG}"

    from landing.submissions.repository import get_lead

    with landing_engine.connect() as conn:
        stored = get_lead(conn, uuid.UUID(lead_id))
    assert stored is not None and stored.status == "hired"
    events = campaigns_outbox(engine, "LeadOutcomeRecorded")
    assert [e.payload["outcome"] for e in events] == ["contacted", "interviewed", "hired"]
    assert all(
        e.payload["lead_id"] == lead_id and e.payload["variant_id"] == "tiktok" for e in events
    )
    raw = json.dumps([e.payload for e in events])
    assert "Candidate" not in raw and "example.nl" not in raw and "+316" not in raw
    with engine.connect() as conn:
        logged = audit.entries(conn, events[0].tenant_id, object_type="lead")
    assert next((e.before, e.after) for e in logged) == (
        {"status": "interviewed"},
        {"status": "hired"},
    )

    # A hire is final: recording it again counts nothing twice.
    again = client.post(
        f"/leads/{lead_id}/outcome",
        data={"outcome": "hired", "csrf_token": token},
        headers=HTML,
    )
    assert again.status_code == 200 and "already marked Hired" in again.text
    assert len(campaigns_outbox(engine, "LeadOutcomeRecorded")) == 3


def test_csv_export_for_allowed_roles_only(
    owner: tuple[TestClient, str],
    settings: Settings,
    landing: tuple[str, Engine, dict[str, list[str]]],
    engine: Engine,
    tenant_and_campaign: tuple[str, str],
) -> None:
    client, token = owner
    response = client.post(
        "/leads/export.csv", data={"campaign": SLUG, "csrf_token": token}, headers=HTML
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["lead_id", "campaign", "creative"]
    assert len(rows) == 1 + 31
    assert {r[2] for r in rows[1:]} == {
        "TikTok \u2013 collega vertelt",
        "Instagram Reel \u2013 een dag op de klantenservice",
    }
    assert rows[1][6].startswith("'+316")  # phone numbers cannot run as formulas

    tenant_id, _ = tenant_and_campaign
    add_person(engine, tenant_id=tenant_id, email="viewer@example.nl", role="viewer", now=NOW)
    add_person(engine, tenant_id=tenant_id, email="recruiter@example.nl", role="recruiter", now=NOW)
    with console(settings, landing[0]) as viewer:
        viewer_token = log_in(viewer, "viewer@example.nl")
        page = viewer.get("/leads", headers=HTML).text
        assert "Export these leads" not in page and 'name="outcome"' not in page
        refused = viewer.post(
            "/leads/export.csv", data={"campaign": SLUG, "csrf_token": viewer_token}, headers=HTML
        )
        assert refused.status_code == 403
        lead_id = landing[2]["lead"][0]
        for path, data in (
            (f"/leads/{lead_id}/outcome", {"outcome": "contacted"}),
            (f"/leads/{lead_id}/gdpr-export", {}),
            (f"/leads/{lead_id}/erase", {"confirm": "erase"}),
        ):
            assert viewer.post(path, data={**data, "csrf_token": viewer_token}).status_code == 403
    with console(settings, landing[0]) as recruiter:
        recruiter_token = log_in(recruiter, "recruiter@example.nl")
        allowed = recruiter.post(
            "/leads/export.csv",
            data={"campaign": SLUG, "entry_point": "apply", "csrf_token": recruiter_token},
        )
        assert allowed.status_code == 200 and allowed.text.count("\n") == 4


def test_gdpr_export_and_erasure_with_confirmation(
    owner: tuple[TestClient, str],
    landing: tuple[str, Engine, dict[str, list[str]]],
    engine: Engine,
) -> None:
    client, token = owner
    lead_id = landing[2]["apply"][1]

    exported = client.post(f"/leads/{lead_id}/gdpr-export", data={"csrf_token": token})
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    assert "Applicant 001" in exported.text
    json.loads(exported.text)

    confirm = client.get(f"/leads/{lead_id}/erase?back=/leads", headers=HTML)
    assert confirm.status_code == 200 and "Erase Applicant 001?" in confirm.text
    unconfirmed = client.post(
        f"/leads/{lead_id}/erase", data={"csrf_token": token, "back": "/leads"}, headers=HTML
    )
    assert unconfirmed.status_code == 422
    assert (
        "Applicant 001"
        in client.get(f"/leads?campaign={SLUG}&entry_point=apply", headers=HTML).text
    )

    erased = client.post(
        f"/leads/{lead_id}/erase",
        data={"csrf_token": token, "confirm": "erase", "back": "https://evil.example/"},
        headers=HTML,
        follow_redirects=False,
    )
    assert erased.status_code == 303
    assert erased.headers["location"].endswith("/leads")  # never an open redirect
    page = client.get(f"/leads?campaign={SLUG}&entry_point=apply", headers=HTML).text
    assert "Applicant 001" not in page and "2 leads" in page
    assert client.get(f"/leads/{lead_id}/erase", headers=HTML).status_code == 404
    with engine.connect() as conn:
        tenant_id = campaigns_outbox(engine)[0].tenant_id
        [entry] = audit.entries(conn, tenant_id, object_type="lead", object_ids=(lead_id,))[:1]
    assert entry.action == "candidate_erased" and "Applicant" not in json.dumps(entry.after)


def test_landing_down_shows_a_notice(settings: Settings, seeded: SeedResult) -> None:
    with console(settings, f"http://127.0.0.1:{free_port()}") as client:
        token = log_in(client, seeded.email, DEMO_PASSWORD)
        page = client.get("/leads", headers=HTML)
        outcome = client.post(
            "/leads/4b0c0a58-0000-4000-8000-000000000001/outcome",
            data={"outcome": "contacted", "csrf_token": token},
            headers=HTML,
        )
    assert page.status_code == 200
    assert "the candidate service is not answering" in page.text
    assert outcome.status_code == 200 and "Nothing was changed" in outcome.text


def test_another_tenant_cannot_reach_these_leads(
    settings: Settings,
    landing: tuple[str, Engine, dict[str, list[str]]],
    engine: Engine,
) -> None:
    other = add_tenant(engine, "Other Employer BV")
    add_person(engine, tenant_id=other, email="owner@other.nl", role="owner", now=NOW)
    lead_id = landing[2]["lead"][0]
    with console(settings, landing[0]) as client:
        token = log_in(client, "owner@other.nl")
        assert "There are no campaigns yet" in client.get("/leads", headers=HTML).text
        assert client.get(f"/leads?campaign={SLUG}", headers=HTML).status_code == 404
        for path, data in (
            (f"/leads/{lead_id}/outcome", {"outcome": "contacted"}),
            (f"/leads/{lead_id}/gdpr-export", {}),
            (f"/leads/{lead_id}/erase", {"confirm": "erase"}),
        ):
            assert client.post(path, data={**data, "csrf_token": token}).status_code == 404
        assert client.get(f"/leads/{lead_id}/erase").status_code == 404
        assert (
            client.post(
                "/leads/export.csv", data={"campaign": SLUG, "csrf_token": token}
            ).status_code
            == 404
        )
    with engine.connect() as conn:
        assert repo.campaigns_of_tenant(conn, other) == []
