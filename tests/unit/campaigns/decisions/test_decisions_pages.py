"""The decisions page over HTTP: refused edits say which rule, an approval is pushed and
its bulk file downloads, and the audit log names campaign and creatives."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from campaigns_testkit import DEMO_PASSWORD, HTML, csrf_from, log_in
from cryptography.fernet import Fernet
from decisions_testkit import WEEK, FakeDelivery, FakeInsights, demo_campaign, proposal_of
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from campaigns.config import Settings
from campaigns.demo import DEMO_EMAIL, DEMO_SLUG
from campaigns.main import create_app
from campaigns.seed import SeedResult
from tests.support.passwords import FAST_PASSWORD_HASHER


@pytest.fixture
def insights() -> FakeInsights:
    return FakeInsights()


@pytest.fixture
def console(
    settings: Settings, engine: Engine, seeded: SeedResult, insights: FakeInsights
) -> Iterator[TestClient]:
    insights.proposals[(demo_campaign(engine).id, WEEK)] = proposal_of(demo_campaign(engine))
    with TestClient(
        create_app(
            settings,
            analytics=insights,
            delivery=FakeDelivery(),
            password_hasher=FAST_PASSWORD_HASHER,
        )
    ) as client:
        log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
        yield client


def test_nothing_waits_shows_an_empty_state(console: TestClient) -> None:
    page = console.get("/decisions?week=2026-W50", headers=HTML)
    assert page.status_code == 200
    assert "Nothing waits for a decision for 2026-W50." in page.text
    assert "Live campaigns without a proposal for 2026-W50" in page.text


def test_the_workspace_shows_the_move_the_reason_and_what_an_equal_split_brings(
    console: TestClient,
) -> None:
    page = console.get(f"/decisions?week={WEEK}", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert "1 campaign waits for a decision." in text
    assert "Klantenservicemedewerker Utrecht" in text
    assert "Monday 30 November 2026 09:00 (Europe/Amsterdam)" in text
    assert "+€150.00" in text and "+60%" in text  # €250 even split -> €400
    assert "its share follows that chance" in text
    assert "an equal split would bring <strong>36.0</strong>" in text
    assert "Fatigue:" in text


def test_an_edit_beyond_a_guardrail_is_refused_then_an_approval_is_pushed(
    console: TestClient, insights: FakeInsights
) -> None:
    page = console.get(f"/decisions?week={WEEK}", headers=HTML)
    token = csrf_from(page.text)
    refused = console.post(
        f"/decisions/{DEMO_SLUG}/{WEEK}",
        data={
            "csrf_token": token,
            "action": "approve",
            "amount-instagram": "820",
            "amount-tiktok": "100",
            "amount-linkedin": "70",
            "amount-facebook": "10",
        },
        headers=HTML,
    )
    assert refused.status_code == 422
    assert "Not approved: " in refused.text
    assert "is below the exploration floor" in refused.text
    assert 'value="820"' in refused.text  # the typed amounts stay
    assert insights.decisions == []

    approved = console.post(
        f"/decisions/{DEMO_SLUG}/{WEEK}",
        data={"csrf_token": token, "action": "approve", "amount-instagram": "400,00"},
        headers=HTML,
    )
    assert approved.status_code == 200
    assert "is approved." in approved.text
    pushed = console.post(
        f"/decisions/{DEMO_SLUG}/{WEEK}/push",
        data={"csrf_token": token, "mode": "push"},
        headers=HTML,
    )
    flash_text = " ".join(re.findall(r"class=\"notice [a-z]+ flash\"[^>]*>([^<]*)<", pushed.text))
    expected = "Push of “Klantenservicemedewerker Utrecht” for 2026-W49: csv: refused"
    assert expected in flash_text, flash_text
    download = console.get(f"/campaigns/{DEMO_SLUG}/bulk-files/{WEEK}/meta")
    assert download.status_code == 200
    assert download.headers["content-disposition"].endswith(f'{WEEK}-meta-ads-manager.csv"')
    audit_page = console.get("/audit", headers=HTML).text
    assert "Approved the split of “Klantenservicemedewerker Utrecht”" in audit_page
    assert "delivery pushed" in audit_page


def test_a_token_is_stored_encrypted_and_shown_masked(
    settings: Settings, engine: Engine, seeded: SeedResult
) -> None:
    keyed = settings.model_copy(update={"delivery_key": SecretStr(Fernet.generate_key().decode())})
    with TestClient(
        create_app(keyed, analytics=FakeInsights(), password_hasher=FAST_PASSWORD_HASHER)
    ) as client:
        log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
        token = csrf_from(client.get("/settings/ad-platforms", headers=HTML).text)
        page = client.post(
            "/settings/ad-platforms",
            data={"csrf_token": token, "meta_token": "EAAB-secret-token-98765", "action": "store"},
            headers=HTML,
        )
    assert "••••8765" in page.text
    assert "EAAB-secret-token" not in page.text
    with engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT sealed, masked FROM delivery_credentials").one()
    assert b"EAAB" not in bytes(raw[0]) and raw[1] == "••••8765"
