"""Following up leads from the inbox against a real landing app: the WhatsApp attempt with
the employer's message, the reply, speed to lead, reminders, the message settings, and
erasure taking the contact history."""

# The inbox tests' fixtures are imported and named as parameters, which ruff reads as
# redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from campaigns_testkit import NOW
from fastapi.testclient import TestClient
from insight_testkit import HTML, campaigns_outbox
from sqlalchemy import Engine
from test_leads_inbox_pages import (  # noqa: F401 - the inbox's fixtures, shared
    SLUG,
    landing,
    lead_cards,
    owner,
    tenant_and_campaign,
)

from campaigns.audit import repository as audit
from landing.contacts.repository import lead_contacts

pytestmark = pytest.mark.unit

Landing = tuple[str, Engine, dict[str, list[str]]]


def card_of(client: TestClient, lead_id: str) -> str:
    page = client.get(f"/leads?campaign={SLUG}", headers=HTML).text
    return next(card for card in lead_cards(page) if f'id="lead-{lead_id}"' in card)


def contact(client: TestClient, token: str, lead_id: str, channel: str = "whatsapp"):
    return client.post(
        f"/leads/{lead_id}/contact",
        data={"channel": channel, "csrf_token": token, "back": f"/leads?campaign={SLUG}"},
        headers=HTML,
        follow_redirects=False,
    )


def reply(client: TestClient, token: str, lead_id: str, channel: str = "whatsapp"):
    return client.post(
        f"/leads/{lead_id}/reply",
        data={"channel": channel, "csrf_token": token, "back": f"/leads?campaign={SLUG}"},
        headers=HTML,
        follow_redirects=False,
    )


def figures(client: TestClient) -> tuple[str, str]:
    page = client.get(f"/leads?campaign={SLUG}", headers=HTML).text
    median = re.search(r'<dd class="speed-median">([^<]*)</dd>', page)
    rate = re.search(r'<dd class="speed-reply-rate">(.*?)</dd>', page, re.DOTALL)
    assert median and rate
    return median.group(1), re.sub(r"<[^>]+>", "", rate.group(1)).strip()


def test_a_whatsapp_attempt_opens_the_chat_with_the_message_and_is_recorded(
    owner: tuple[TestClient, str], landing: Landing, engine: Engine
) -> None:
    client, token = owner
    _, landing_engine, ids = landing
    lead_id = ids["lead"][27]  # "Candidate 027", created 3 days before NOW, prefers WhatsApp

    before = figures(client)
    opened = contact(client, token, lead_id)

    assert before == ("\N{EM DASH}", "\N{EM DASH}")
    assert opened.status_code == 303
    chat = urlsplit(opened.headers["location"])
    assert (chat.scheme, chat.netloc, chat.path) == ("https", "wa.me", "/31612340027")
    assert parse_qs(chat.query)["text"][0].startswith("Hoi Candidate, bedankt voor je interesse")
    card = card_of(client, lead_id)
    assert "Contacted by WhatsApp" in card and 'class="status status-contacted"' in card
    contacted = campaigns_outbox(engine, "LeadContacted")
    assert [
        (e.payload["lead_id"], e.payload["channel"], e.payload["first"]) for e in contacted
    ] == [(lead_id, "whatsapp", True)]
    assert [e.payload["outcome"] for e in campaigns_outbox(engine, "LeadOutcomeRecorded")] == [
        "contacted"
    ]
    # 3 days minus 27 minutes (2.98 days) after the lead came in.
    assert figures(client) == ("3.0 days", "0% (0 of 1)")

    marked = reply(client, token, lead_id)

    assert marked.status_code == 303
    assert figures(client) == ("3.0 days", "100% (1 of 1)")
    replied = campaigns_outbox(engine, "LeadReplied")
    assert [(e.payload["lead_id"], e.payload["channel"]) for e in replied] == [
        (lead_id, "whatsapp")
    ]
    raw = json.dumps([e.payload for e in contacted + replied])
    assert "Candidate" not in raw and "example.nl" not in raw and "+316" not in raw
    assert "bedankt" not in raw  # no message text either
    with engine.connect() as conn:
        actions = [
            e.action for e in audit.entries(conn, contacted[0].tenant_id, object_type="lead")
        ]
    assert actions[:2] == ["lead_reply", "lead_contact_attempt"]
    with landing_engine.connect() as conn:
        stored = conn.execute(sa.select(lead_contacts.c.kind, lead_contacts.c.at)).all()
    assert [kind for kind, _ in stored] == ["attempt", "reply"]
    assert all(at.replace(tzinfo=NOW.tzinfo) == NOW for _, at in stored)


def test_a_reply_needs_an_attempt_and_comes_once(
    owner: tuple[TestClient, str], landing: Landing, engine: Engine
) -> None:
    client, token = owner
    lead_id = landing[2]["lead"][3]

    too_early = reply(client, token, lead_id)
    assert too_early.status_code == 303
    assert "Contact the candidate first" in client.get(too_early.headers["location"]).text
    contact(client, token, lead_id, "email")
    reply(client, token, lead_id, "email")
    again = reply(client, token, lead_id, "email")

    assert "is already marked" in client.get(again.headers["location"]).text
    assert len(campaigns_outbox(engine, "LeadReplied")) == 1


def test_bad_contact_requests_get_clear_answers(
    owner: tuple[TestClient, str], landing: Landing, engine: Engine
) -> None:
    client, token = owner
    lead_id = landing[2]["lead"][0]

    pigeon = contact(client, token, lead_id, "pigeon")
    linkedin = contact(client, token, lead_id, "linkedin")
    unknown = contact(client, token, str(uuid.uuid4()))
    no_csrf = client.post(f"/leads/{lead_id}/contact", data={"channel": "whatsapp"}, headers=HTML)

    assert pigeon.status_code == 422 and "Unknown channel" in pigeon.text
    assert linkedin.status_code == 303
    assert "cannot be reached by LinkedIn" in client.get(linkedin.headers["location"]).text
    assert unknown.status_code == 404
    assert no_csrf.status_code == 403
    assert campaigns_outbox(engine, "LeadContacted") == []


def test_leads_past_the_target_are_reminders_and_out_of_window_leads_wait_for_later(
    owner: tuple[TestClient, str], landing: Landing
) -> None:
    client, token = owner
    page = client.get(f"/leads?campaign={SLUG}", headers=HTML).text

    # Every lead is three days old and none was contacted: all past the 24 h target.
    assert "31 leads waiting longer than 24 h for a first contact" in page
    # NOW is 09:00 in Amsterdam and every candidate asked for the evening.
    assert '<ul class="lead-list later-list"' in page and '<ul class="lead-list">' not in page
    contact(client, token, landing[2]["lead"][27])
    after = client.get(f"/leads?campaign={SLUG}", headers=HTML).text
    assert "30 leads waiting longer than 24 h" in after
    assert '<ul class="lead-list">' in after  # contacted: no longer waiting for the evening


def test_the_employer_edits_the_messages_and_the_target(
    owner: tuple[TestClient, str], landing: Landing, engine: Engine
) -> None:
    client, token = owner
    form = client.get("/leads/settings", headers=HTML)
    assert form.status_code == 200 and "{voornaam}" in form.text

    refused = client.post(
        "/leads/settings",
        data={
            "csrf_token": token,
            "message_nl": "Hoi {naam}!",
            "message_en": "Hi {voornaam}",
            "target_hours": "0",
            "time_zone": "Mars/Olympus",
        },
        headers=HTML,
    )
    saved = client.post(
        "/leads/settings",
        data={
            "csrf_token": token,
            "message_nl": "Goedemorgen {voornaam}, over {vacature}:",
            "message_en": "Hi {voornaam}",
            "target_hours": "96",
            "time_zone": "Europe/London",
        },
        headers=HTML,
        follow_redirects=False,
    )

    assert refused.status_code == 422
    assert "Unknown placeholder {naam}" in refused.text and "Hoi {naam}!" in refused.text
    assert "from 1 to 336" in refused.text and "Choose a time zone" in refused.text
    assert saved.status_code == 303
    page = client.get(f"/leads?campaign={SLUG}", headers=HTML).text
    assert "Goedemorgen Candidate, over Klantenservicemedewerker" in page
    assert "waiting longer than" not in page  # three days is within 96 hours
    assert "Best moment: <strong>16:00\N{EN DASH}20:00</strong>" in page  # London in winter
    with engine.connect() as conn:
        tenant_id = campaigns_outbox(engine, "CampaignPublished")[0].tenant_id
        logged = audit.entries(conn, tenant_id, object_type="tenant")
    assert logged[0].action == "contact_settings_changed"
    assert logged[0].after["target_hours"] == 96  # type: ignore[index]


def test_erasing_a_candidate_from_the_console_takes_their_contact_history(
    owner: tuple[TestClient, str], landing: Landing
) -> None:
    client, token = owner
    _, landing_engine, ids = landing
    lead_id = ids["lead"][27]
    contact(client, token, lead_id)
    reply(client, token, lead_id)

    erased = client.post(
        f"/leads/{lead_id}/erase",
        data={"csrf_token": token, "confirm": "erase", "back": f"/leads?campaign={SLUG}"},
        headers=HTML,
        follow_redirects=False,
    )

    assert erased.status_code == 303
    with landing_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(lead_contacts)).scalar() == 0
    assert figures(client) == ("\N{EM DASH}", "\N{EM DASH}")


def test_follow_up_events_match_the_contracts_and_analytics_counts_the_reached_lead(
    owner: tuple[TestClient, str],
    landing: Landing,
    engine: Engine,
    make_migrated_database_url: Callable[[str], str],
) -> None:
    from analytics.facts.handlers import HANDLERS as ANALYTICS_HANDLERS
    from analytics.storage.schema import weekly_funnel_table
    from koers.db import make_engine
    from tests.contract.test_producers_and_consumers import (
        consume,
        validate_against_committed_schemas,
    )

    client, token = owner
    lead_id = landing[2]["lead"][27]
    contact(client, token, lead_id)
    contact(client, token, lead_id, "email")
    reply(client, token, lead_id)
    produced = [
        e
        for e in campaigns_outbox(engine)
        if e.type in {"LeadContacted", "LeadReplied", "LeadOutcomeRecorded"}
    ]
    for envelope in produced:
        validate_against_committed_schemas(envelope)
    assert [e.type for e in produced] == [
        "LeadContacted",
        "LeadOutcomeRecorded",
        "LeadContacted",
        "LeadReplied",
    ]
    assert [e.payload.get("first") for e in produced if e.type == "LeadContacted"] == [True, False]

    analytics_url = make_migrated_database_url("analytics")
    analytics_db = make_engine(analytics_url)
    consumer = consume(analytics_db, "analytics", ANALYTICS_HANDLERS, produced)

    assert consumer.dead_lettered == 0 and consumer.applied == len(produced)
    with analytics_db.connect() as conn:
        cells = conn.execute(
            sa.select(weekly_funnel_table.c.iso_week, weekly_funnel_table.c.reached)
        ).all()
    visit_week = (NOW - timedelta(days=3)).strftime("%G-W%V")
    assert [(week, reached) for week, reached in cells] == [(visit_week, 1)]
    analytics_db.dispose()


def test_the_dashboard_advises_following_up_cold_leads_and_a_dismissal_is_audited(
    owner: tuple[TestClient, str], landing: Landing, engine: Engine
) -> None:
    client, token = owner
    dashboard = f"/campaigns/{SLUG}/dashboard"

    advised = client.get(dashboard, headers=HTML).text
    no_reason = client.post(
        f"/campaigns/{SLUG}/actions/dismiss",
        data={"csrf_token": token, "action": "follow_up:leads", "reason": "  "},
        headers=HTML,
    )
    bad_key = client.post(
        f"/campaigns/{SLUG}/actions/dismiss",
        data={"csrf_token": token, "action": "<script>", "reason": "x"},
        headers=HTML,
    )
    dismissed = client.post(
        f"/campaigns/{SLUG}/actions/dismiss",
        data={"csrf_token": token, "action": "follow_up:leads", "reason": "Agency calls them"},
        headers=HTML,
        follow_redirects=False,
    )

    # Analytics is not running here: only the contact history speaks.
    assert "Follow up the leads going cold: 31." in advised
    assert "31 not contacted within 24 h, 0 without a reply" in advised
    assert no_reason.status_code == 422 and "Say why you dismiss" in no_reason.text
    assert bad_key.status_code == 422
    assert dismissed.status_code == 303
    after = client.get(dashboard, headers=HTML).text
    assert "leads going cold" not in after and "Nothing clearly calls for action" in after
    tenant_id = campaigns_outbox(engine, "CampaignPublished")[0].tenant_id
    with engine.connect() as conn:
        logged = audit.entries(conn, tenant_id, object_type="campaign")
    assert (logged[0].action, logged[0].after) == (
        "next_action_dismissed",
        {"action": "follow_up:leads", "reason": "Agency calls them"},
    )
