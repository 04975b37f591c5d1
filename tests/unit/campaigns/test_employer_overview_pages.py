"""The employer overview on the campaigns page against a real landing app: next best
actions across live campaigns (dismissed with a reason, audited), speed to lead per
recruiter and channel across campaigns, reminders of leads past the target; and lead
times in the inbox on the recruiter's clock."""

# The inbox tests' fixtures are imported and named as parameters, which ruff reads as
# redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from campaigns_testkit import DEMO_PASSWORD
from fastapi.testclient import TestClient
from insight_testkit import HTML, add_person, add_tenant, campaigns_outbox, log_in
from sqlalchemy import Engine
from test_leads_followup_pages import Landing, card_of, contact, reply
from test_leads_inbox_pages import (  # noqa: F401 - the inbox's fixtures, shared
    SLUG,
    console,
    landing,
    owner,
    tenant_and_campaign,
)

from campaigns.audit import repository as audit
from campaigns.config import Settings
from campaigns.seed import SeedResult
from campaigns.tenancy.repository import users

pytestmark = pytest.mark.unit


def section(page: str, heading_id: str) -> str:
    found = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', page, re.DOTALL)
    assert found, f"no section {heading_id}"
    return found.group(0)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_campaigns_page_leads_with_the_employers_actions_and_reminders(
    owner: tuple[TestClient, str], landing: Landing
) -> None:
    client, _ = owner

    page = client.get("/", headers=HTML)

    assert page.status_code == 200
    actions = section(page.text, "employer-actions-title")
    # Analytics is not running here: only the contact history speaks, and the page says so.
    assert "Follow up the leads going cold: 31." in actions
    assert f'/campaigns/{SLUG}/dashboard#actions-title"' in actions
    assert "at stake: 31 leads already in hand" in text_of(actions)
    assert "31 not contacted within 24 h" in actions
    assert f'/leads?campaign={SLUG}&amp;status=new"' in actions
    assert "31 leads waiting longer than 24 h for a first contact." in text_of(actions)
    assert "could not be read just now" in actions
    # The list comes before the campaigns, the speed figures after them.
    assert page.text.index("employer-actions-title") < page.text.index('class="campaign-list"')
    assert page.text.index('class="campaign-list"') < page.text.index("employer-speed-title")


def test_speed_to_lead_across_campaigns_follows_each_recruiters_contacts(
    owner: tuple[TestClient, str], landing: Landing, engine: Engine, seeded: SeedResult
) -> None:
    client, token = owner
    _, _, ids = landing

    before = section(client.get("/", headers=HTML).text, "employer-speed-title")
    contact(client, token, ids["lead"][27])
    reply(client, token, ids["lead"][27])
    contact(client, token, ids["apply"][0], channel="phone")
    after = section(client.get("/", headers=HTML).text, "employer-speed-title")

    assert "recruiter-speed" not in before  # nobody contacted anyone yet
    assert '<dd class="speed-median">' in after
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td>", after)
    assert (seeded.email, "2") in rows  # two first contacts by the owner
    channels = {
        name: text_of(row) for name, row in re.findall(r"<tr><td>(\w+)</td>(.*?)</tr>", after)
    }
    assert channels["WhatsApp"].startswith("1 1 100%")
    assert channels["Phone"].startswith("1 0 0%")
    # 30 of the 31 leads are still waiting: the reminder counts them.
    reminders = section(client.get("/", headers=HTML).text, "employer-actions-title")
    assert "29 leads waiting longer than 24 h" in text_of(reminders)


def test_an_action_is_dismissed_from_the_overview_with_a_reason_and_audited(
    owner: tuple[TestClient, str], landing: Landing, engine: Engine
) -> None:
    client, token = owner

    wrong_back = client.post(
        f"/campaigns/{SLUG}/actions/dismiss",
        data={"csrf_token": token, "action": "follow_up:leads", "reason": "x", "back": "//evil"},
        headers=HTML,
    )
    dismissed = client.post(
        f"/campaigns/{SLUG}/actions/dismiss",
        data={
            "csrf_token": token,
            "action": "follow_up:leads",
            "reason": "The agency calls them",
            "back": "overview",
        },
        headers=HTML,
        follow_redirects=False,
    )

    assert wrong_back.status_code == 422
    assert dismissed.status_code == 303
    assert dismissed.headers["location"] == "/#employer-actions-title"
    page = client.get("/", headers=HTML).text
    actions = section(page, "employer-actions-title")
    assert "leads going cold" not in actions and "Nothing clearly calls for action" in actions
    # The reminder of the leads themselves stays: dismissing advice contacts nobody.
    assert "31 leads waiting longer than 24 h" in text_of(actions)
    tenant_id = campaigns_outbox(engine, "CampaignPublished")[0].tenant_id
    with engine.connect() as conn:
        logged = audit.entries(conn, tenant_id, object_type="campaign")
    assert (logged[0].action, logged[0].after) == (
        "next_action_dismissed",
        {"action": "follow_up:leads", "reason": "The agency calls them"},
    )


def test_the_overview_is_dutch_by_default(
    owner: tuple[TestClient, str], landing: Landing, engine: Engine, seeded: SeedResult
) -> None:
    client, _ = owner
    with engine.begin() as conn:
        conn.execute(sa.update(users).where(users.c.email == seeded.email).values(language="nl"))

    page = client.get("/", headers=HTML).text
    actions = text_of(section(page, "employer-actions-title"))
    inbox = client.get(f"/leads?campaign={SLUG}", headers=HTML).text

    assert "Volgende beste acties" in page
    assert "Volg de leads op die afkoelen: 31." in actions
    assert "op het spel: 31 leads al binnen" in actions
    assert "31 niet benaderd binnen 24 uur" in actions
    assert "Follow up" not in actions and "at stake" not in actions
    assert "Beste moment:" in inbox and "(avond, Europe/Amsterdam)" in inbox


def test_the_overview_renders_when_landing_is_down_and_shows_no_other_employer(
    settings: Settings, engine: Engine, seeded: SeedResult, landing: Landing
) -> None:
    from campaigns_testkit import NOW

    other = add_tenant(engine, "Ander Bedrijf")
    add_person(engine, tenant_id=other, email="other@example.nl", role="owner", now=NOW)
    with console(settings, "http://127.0.0.1:9") as down:
        log_in(down, seeded.email, DEMO_PASSWORD)
        page = down.get("/", headers=HTML)
    with console(settings, landing[0]) as client:
        log_in(client, "other@example.nl")
        theirs = client.get("/", headers=HTML).text

    assert page.status_code == 200
    assert "the candidate service is not answering" in page.text
    assert "could not be read just now" in page.text
    assert "employer-actions-title" not in theirs  # no live campaign: no overview
    assert "Candidate" not in theirs and SLUG not in theirs


def test_lead_and_contact_times_are_on_the_recruiters_clock(
    owner: tuple[TestClient, str], landing: Landing
) -> None:
    client, token = owner
    _, _, ids = landing
    lead_id = ids["lead"][27]  # created 20 Nov 2026 08:27 UTC
    contact(client, token, lead_id)  # at NOW, 23 Nov 2026 08:00 UTC

    amsterdam = card_of(client, lead_id)
    client.post(
        "/leads/settings",
        data={
            "csrf_token": token,
            "message_nl": "Hoi {voornaam}",
            "message_en": "Hi {voornaam}",
            "target_hours": "24",
            "time_zone": "America/New_York",
        },
        headers=HTML,
    )
    new_york = card_of(client, lead_id)

    assert "20 Nov 2026 09:27 CET" in amsterdam and "23 Nov 2026 09:00 CET" in amsterdam
    assert " UTC" not in amsterdam
    assert "20 Nov 2026 03:27" in new_york and "23 Nov 2026 03:00" in new_york


def test_the_memo_lists_the_employers_actions_and_which_channel_gets_answers(
    owner: tuple[TestClient, str], landing: Landing
) -> None:
    client, token = owner
    _, _, ids = landing
    contact(client, token, ids["lead"][27])
    reply(client, token, ids["lead"][27])

    page = client.get("/memo", headers=HTML).text
    email = client.get("/memo/email", headers=HTML).text

    actions = section(page, "memo-actions-title")
    assert "Next best actions" in actions and "Follow up the leads going cold: 30." in actions
    assert f"/campaigns/{SLUG}/dashboard#actions-title" in actions
    assert "30 not contacted within 24 h" in actions
    channels = text_of(re.search(r'<p class="memo-channels".*?</p>', page, re.DOTALL).group(0))  # type: ignore[union-attr]
    assert channels == (
        "Which channel gets answers: Nog te weinig om kanalen te vergelijken: "
        "WhatsApp 1 van 1 (100%), eerste contact na 3,0 dagen."
    )
    # The e-mail is Dutch whoever previews it.
    assert "Volgende beste acties" in email and "Volg de leads op die afkoelen: 30." in email
    assert "Welk kanaal krijgt antwoord" in email
