"""The memo page per state (nothing proposed, waiting, approved and pushed, autopilot),
its e-mail preview and download, the week rule, bad weeks, opting in, and tenancy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from campaigns_testkit import DEMO_PASSWORD, HTML, csrf_from, log_in
from fastapi.testclient import TestClient
from insight_testkit import PASSWORD, add_person, add_tenant
from memo_testkit import (
    PROPOSED_AT,
    WEEK,
    FakeInsights,
    approve,
    demo_campaign,
    push,
    store_proposal,
)
from sqlalchemy import Engine

from campaigns.audit import repository as audit
from campaigns.config import Settings
from campaigns.demo import DEMO_EMAIL, DEMO_SLUG, DEMO_TENANT
from campaigns.main import create_app
from campaigns.memo import repository as memo_repo
from campaigns.scheduling.weeks import planned_week
from campaigns.seed import SeedResult
from koers.events import utcnow
from tests.support.passwords import FAST_PASSWORD_HASHER

pytestmark = pytest.mark.unit

CAMPAIGN = "Klantenservicemedewerker Utrecht"
INSTAGRAM = "Instagram Reel \u2013 een dag op de klantenservice"


@pytest.fixture
def console(settings: Settings, seeded: SeedResult) -> Iterator[TestClient]:
    with TestClient(
        create_app(settings, analytics=FakeInsights(), password_hasher=FAST_PASSWORD_HASHER)
    ) as client:
        log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
        yield client


def text_of(html: str) -> str:
    """The page's text, tags and whitespace runs collapsed (non-breaking spaces kept)."""
    return re.sub(r"[ \n\t]+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_memo_needs_a_login(settings: Settings, seeded: SeedResult) -> None:
    with TestClient(
        create_app(settings, analytics=FakeInsights(), password_hasher=FAST_PASSWORD_HASHER)
    ) as client:
        page = client.get("/memo", headers=HTML, follow_redirects=False)
    assert page.status_code == 303 and "/login" in page.headers["location"]


def test_a_week_without_proposals_has_nothing_to_decide(console: TestClient) -> None:
    page = console.get("/memo?week=2026-W50", headers=HTML)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Geen voorstellen voor 2026-W50: niets te beslissen." in text
    assert "Niets te beslissen." in text
    assert f"Live zonder voorstel voor 2026-W50: {CAMPAIGN}." in text
    assert "maandag 7 december 2026 t/m zondag 13 december 2026" in text
    assert '/memo?week=2026-W49"' in page.text and '/memo?week=2026-W51"' in page.text


def test_the_default_week_is_the_one_the_weekly_job_plans(console: TestClient) -> None:
    page = console.get("/memo", headers=HTML)
    assert page.status_code == 200
    week = planned_week(utcnow(), logical_date=None, requested=None)
    assert f'<h1>Weekmemo <span class="muted">· {week}</span></h1>' in page.text


def test_a_waiting_proposal_shows_the_move_and_its_deadline(
    console: TestClient, engine: Engine
) -> None:
    store_proposal(engine, demo_campaign(engine), PROPOSED_AT)
    page = console.get(f"/memo?week={WEEK}", headers=HTML)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "1 campagne wacht op je beslissing." in text
    assert f"{CAMPAIGN} : beslis vóór maandag 30 november 09:00" in text
    assert f'/decisions?week={WEEK}#c-{DEMO_SLUG}"' in page.text
    # the even split of €1.000 (€250) now, €400 proposed for Instagram: +€150, +60%
    assert INSTAGRAM in text
    assert "€\xa0250,00" in text and "€\xa0400,00" in text
    assert "+€\xa0150,00 (+60%)" in text
    assert "60%" in text  # its chance of being best
    # the engine's sentence names the creative, never its id
    assert f"{INSTAGRAM} goes up €150.00 to €400.00" in text
    assert "instagram goes up" not in text


def test_an_approved_and_pushed_week_says_who_decided_and_what_went_out(
    console: TestClient, engine: Engine
) -> None:
    store_proposal(engine, demo_campaign(engine), PROPOSED_AT)
    approve(engine)
    push(engine)
    text = text_of(console.get(f"/memo?week={WEEK}", headers=HTML).text)
    assert "Niets te beslissen: elke verdeling van deze week is besloten." in text
    assert "Goedgekeurd door demo@koers.local op maandag 30 november 06:00." in text
    # what the stored push result says, whatever the bulk files could hold
    assert re.search(
        f"{CAMPAIGN} via bulkbestanden: (deels )?verzonden op maandag 30 november 09:30 "
        r"\(4 wijzigingen(, [1-3] niet gelukt)?\)",
        text,
    )
    assert "Autopilot deed deze week niets." in text


def test_an_autopilot_week_says_what_autopilot_did(console: TestClient, engine: Engine) -> None:
    from campaigns.catalog import repository as catalog_repo
    from campaigns.decisions import service
    from koers.db import transaction

    campaign = demo_campaign(engine)
    store_proposal(engine, campaign, PROPOSED_AT)
    guardrails = campaign.guardrails.model_copy(update={"autopilot": True})
    with transaction(engine) as conn:
        conn.execute(
            catalog_repo.campaigns.update()
            .where(catalog_repo.campaigns.c.id == campaign.id)
            .values(guardrails=guardrails.model_dump(mode="json"))
        )
        [outcome] = service.apply_autopilot(conn, campaign.tenant_id, WEEK, PROPOSED_AT)
    text = text_of(console.get(f"/memo?week={WEEK}", headers=HTML).text)
    if outcome.verdict == "applied":
        assert f"{CAMPAIGN}: de voorgestelde verdeling bleef binnen de vangrails" in text
    else:
        assert f"{CAMPAIGN}: niet toegepast, de verdeling viel buiten de vangrails" in text
        assert "1 campagne wacht op je beslissing." in text


def test_the_email_preview_is_the_inline_styled_email(console: TestClient, engine: Engine) -> None:
    store_proposal(engine, demo_campaign(engine), PROPOSED_AT)
    preview = console.get(f"/memo/email?week={WEEK}", headers=HTML)
    assert preview.status_code == 200
    html = preview.text
    assert "Weekmemo 2026-W49" in html and INSTAGRAM in html
    assert "<link" not in html and "<script" not in html and "<style" not in html
    assert 'style="' in html and "<table" in html
    assert "'unsafe-inline'" in preview.headers["content-security-policy"]
    assert "script-src" not in preview.headers["content-security-policy"]
    download = console.get(f"/memo/email.html?week={WEEK}", headers=HTML)
    assert download.status_code == 200
    assert download.headers["content-disposition"] == (
        f'attachment; filename="koers-weekmemo-{WEEK}.html"'
    )
    assert download.text == html


def test_without_smtp_the_page_says_so_and_sending_sends_nothing(
    console: TestClient, engine: Engine
) -> None:
    page = console.get(f"/memo?week={WEEK}", headers=HTML)
    assert "E-mail versturen is niet ingesteld op deze server" in page.text
    assert f'/memo/email.html?week={WEEK}"' in page.text
    sent = console.post(
        "/memo/send-to-me", data={"csrf_token": csrf_from(page.text), "week": WEEK}, headers=HTML
    )
    assert sent.status_code == 200
    assert "E-mail is niet ingesteld (KOERS_CAMPAIGNS_SMTP_URL)" in sent.text
    with engine.connect() as conn:
        tenant_id = demo_campaign(engine).tenant_id
        assert not [e for e in audit.entries(conn, tenant_id) if e.action == "memo_sent"]


@pytest.mark.parametrize(
    "path", ["/memo?week=2026-W99", "/memo/email?week=2026-W99", "/memo/email.html?week=x"]
)
def test_a_week_that_does_not_exist_is_a_readable_4xx(console: TestClient, path: str) -> None:
    page = console.get(path, headers=HTML)
    assert page.status_code == 422
    assert "text/html" in page.headers["content-type"]


@pytest.mark.parametrize("week", ["", "2026-W99", "W49", "2026-W49'><script>"])
def test_sending_an_impossible_week_is_a_readable_422(console: TestClient, week: str) -> None:
    page = console.get("/memo", headers=HTML)
    sent = console.post(
        "/memo/send-to-me", data={"csrf_token": csrf_from(page.text), "week": week}, headers=HTML
    )
    assert sent.status_code == 422
    assert "geen bestaande ISO-week" in sent.text and "<script>" not in sent.text


def test_opting_in_and_out(console: TestClient, engine: Engine) -> None:
    page = console.get(f"/memo?week={WEEK}", headers=HTML)
    assert "niet per e-mail" in page.text
    tenant_id = demo_campaign(engine).tenant_id
    opted = console.post(
        "/memo/subscription",
        data={"csrf_token": csrf_from(page.text), "subscribe": "yes", "week": WEEK},
        headers=HTML,
    )
    assert opted.status_code == 200
    assert "Je ontvangt de weekmemo voortaan per e-mail." in opted.text
    assert opted.url.path == "/memo" and opted.url.params["week"] == WEEK
    with engine.connect() as conn:
        assert memo_repo.recipients(conn, tenant_id) == [DEMO_EMAIL]
    console.post(
        "/memo/subscription",
        data={"csrf_token": csrf_from(opted.text), "subscribe": "no", "week": "<x>"},
        headers=HTML,
    )
    with engine.connect() as conn:
        assert memo_repo.recipients(conn, tenant_id) == []


def test_another_employers_memo_is_unreachable(
    settings: Settings, engine: Engine, seeded: SeedResult
) -> None:
    store_proposal(engine, demo_campaign(engine), PROPOSED_AT)
    other = add_tenant(engine, "Bouwbedrijf Noord")
    email = "planner@noord.example"
    add_person(engine, tenant_id=other, email=email, role="owner", now=datetime.now().astimezone())
    with TestClient(
        create_app(settings, analytics=FakeInsights(), password_hasher=FAST_PASSWORD_HASHER)
    ) as client:
        log_in(client, email, PASSWORD)
        page = client.get(f"/memo?week={WEEK}", headers=HTML)
        assert page.status_code == 200
        assert "Bouwbedrijf Noord" in page.text
        assert CAMPAIGN not in page.text and DEMO_TENANT not in page.text
        assert INSTAGRAM not in client.get(f"/memo/email?week={WEEK}", headers=HTML).text
        assert (
            client.get(f"/campaigns/{DEMO_SLUG}/memo?week={WEEK}", headers=HTML).status_code == 404
        )


def test_one_campaigns_memo(console: TestClient, engine: Engine) -> None:
    store_proposal(engine, demo_campaign(engine), PROPOSED_AT)
    page = console.get(f"/campaigns/{DEMO_SLUG}/memo?week={WEEK}", headers=HTML)
    assert page.status_code == 200
    assert INSTAGRAM in page.text
    assert f'/campaigns/{DEMO_SLUG}/memo?week=2026-W48"' in page.text
