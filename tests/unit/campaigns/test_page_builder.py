"""The page builder as a marketer uses it: it loads what is live, saving unchanged
changes nothing, and publishing shows what changes and waits for a confirmation."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from campaigns_testkit import DEMO_PASSWORD, HTML, csrf_from, log_in
from fastapi.testclient import TestClient
from pydantic_core import to_jsonable_python
from sqlalchemy import Engine

from campaigns.catalog import repository as catalog_repo
from campaigns.catalog import service
from campaigns.catalog.domain import complete_page, page_content
from campaigns.catalog.inputs import PageInput
from campaigns.demo import DEMO_EMAIL, DEMO_SLUG, DEMO_TENANT
from campaigns.seed import SeedResult
from campaigns.tenancy import repository as tenancy_repo
from koers.db import transaction
from koers.events import PageSnapshot, utcnow
from tests.support.html import form_submission, parse

pytestmark = pytest.mark.unit

BUILDER = f"/campaigns/{DEMO_SLUG}/page"
REVIEW = f"/campaigns/{DEMO_SLUG}/page/publish"

EVERY_FIELD: dict[str, Any] = {
    "language": "en",
    "languages": ["en", "nl"],
    "employer_name": "Acme & Zonen",
    "headline": "Join us <today>",
    "intro": "First paragraph.\n\nSecond paragraph, with “quotes”.",
    "primary_colour": "#123abc",
    "logo_url": "https://cdn.example/logo.png",
    "hero_image_url": "https://cdn.example/hero.jpg?w={width}",
    "hero_video_url": "https://cdn.example/day.mp4",
    "hero_alt": "A colleague at the desk",
    "entry_points": ["lead", "quiz"],
    "quiz": [
        {
            "question": "Weekends?",
            "options": [{"label": "Yes", "score": 7}, {"label": "No", "score": 1}],
        }
    ],
    "quiz_pass_score": 5,
    "lead_form": {"contact_channels": ["email", "linkedin"], "ask_best_moment": False},
    "apply": {"cv_required": False, "ask_motivation": False, "offer_talent_pool": False},
    "response_days": 5,
    "consent_months": 6,
    "translations": {
        "nl": {
            "headline": "Kom bij ons werken",
            "intro": "Eerste alinea.\n\nTweede alinea.",
            "hero_alt": "Een collega aan het bureau",
            "quiz": [{"question": "Weekenden?", "options": ["Ja", "Nee"]}],
        }
    },
}


def demo_campaign(engine: Engine) -> Any:
    with engine.connect() as conn:
        tenant_id = tenancy_repo.tenant_id_by_name(conn, DEMO_TENANT)
        assert tenant_id is not None
        return service.get_campaign(conn, tenant_id, DEMO_SLUG)


def live_content(engine: Engine) -> dict[str, Any]:
    campaign = demo_campaign(engine)
    with engine.connect() as conn:
        latest = catalog_repo.latest_page_version(conn, campaign.id)
    assert latest is not None
    return page_content(latest.snapshot)


def save_as_a_browser_would(client: TestClient, change: dict[str, str] | None = None) -> None:
    builder = client.get(BUILDER, headers=HTML)
    assert builder.status_code == 200
    fields = form_submission(builder.text, BUILDER)
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append((change or {}).get(name, value))
    saved = client.post(BUILDER, data=data, headers=HTML, follow_redirects=False)
    assert saved.status_code == 303, saved.text[:2000]


def review_fingerprint(html: str) -> str:
    found = re.search(r'name="reviewed" value="([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


def test_the_demo_page_saved_unchanged_and_published_stays_the_same(
    client: TestClient, seeded: SeedResult, engine: Engine
) -> None:
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    before = live_content(engine)
    assert before["languages"] == ["nl", "en"] and before["translations"]["en"]["quiz"]
    save_as_a_browser_would(client)
    assert page_content(demo_campaign(engine).page) == before

    review = client.get(REVIEW, headers=HTML).text
    assert 'id="no-changes"' in review
    published = client.post(
        REVIEW,
        data={"csrf_token": csrf_from(review), "reviewed": review_fingerprint(review)},
        headers=HTML,
        follow_redirects=False,
    )
    assert published.status_code == 303
    assert demo_campaign(engine).page_version == 2
    assert live_content(engine) == before


def test_every_field_of_a_page_survives_the_builder(
    client: TestClient, seeded: SeedResult, engine: Engine
) -> None:
    for name, info in PageSnapshot.model_fields.items():  # a new field must be added here
        if name != "version" and not info.is_required():
            default = to_jsonable_python(info.get_default(call_default_factory=True))
            assert EVERY_FIELD[name] != default, name
    with transaction(engine) as conn:
        service.save_page(
            conn,
            campaign=demo_campaign(engine),
            data=PageInput.model_validate(EVERY_FIELD),
            actor="test",
            now=utcnow(),
        )
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    save_as_a_browser_would(client)
    assert complete_page(demo_campaign(engine).page) == complete_page(EVERY_FIELD)


def test_publishing_shows_what_changes_and_waits_for_a_confirmation(
    client: TestClient, seeded: SeedResult, engine: Engine
) -> None:
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    before = live_content(engine)
    save_as_a_browser_would(client, {"headline": "Nieuwe kop", "tr_q0_question": "Why?"})

    builder = client.get(BUILDER, headers=HTML).text
    assert "differs from the live page in 2 fields" in builder
    review = client.get(REVIEW, headers=HTML).text
    rows = parse(review).tables["page-changes"][1:]
    assert ["Kop", before["headline"], "Nieuwe kop"] in rows
    assert [
        "Quiz, vraag 1 (Engels)",
        before["translations"]["en"]["quiz"][0]["question"],
        "Why?",
    ] in rows
    assert len(rows) == 2

    unconfirmed = client.post(
        REVIEW, data={"csrf_token": csrf_from(review)}, headers=HTML, follow_redirects=False
    )
    assert unconfirmed.headers["location"] == REVIEW
    save_as_a_browser_would(client, {"headline": "Nog een kop"})
    stale = client.post(
        REVIEW,
        data={"csrf_token": csrf_from(review), "reviewed": review_fingerprint(review)},
        headers=HTML,
        follow_redirects=False,
    )
    assert stale.headers["location"] == REVIEW
    assert "The page changed since you reviewed" in client.get(REVIEW, headers=HTML).text
    assert live_content(engine) == before  # nothing reached candidates unconfirmed

    builder = client.get(BUILDER, headers=HTML).text
    assert "Back to the live page" in builder
    reverted = client.post(
        f"{BUILDER}/revert",
        data={"csrf_token": csrf_from(builder)},
        headers=HTML,
        follow_redirects=False,
    )
    assert reverted.status_code == 303
    assert page_content(demo_campaign(engine).page) == before
    assert "The saved draft is what candidates see now." in client.get(BUILDER, headers=HTML).text


def test_texts_of_a_language_not_offered_are_kept_with_a_message(
    client: TestClient, seeded: SeedResult, engine: Engine
) -> None:
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    builder = client.get(BUILDER, headers=HTML).text
    fields: dict[str, list[str]] = {}
    for name, value in form_submission(builder, BUILDER):
        if not (name == "languages" and value == "en"):  # English unticked, texts kept
            fields.setdefault(name, []).append(value)
    refused = client.post(BUILDER, data=fields, headers=HTML)

    assert refused.status_code == 422
    message = re.search(r'id="e-tr_headline">([^<]+)<', refused.text)
    assert message is not None and "tick it there" in message.group(1)
    assert "Help customers from Utrecht" in refused.text  # what was typed stays
    assert page_content(demo_campaign(engine).page) == live_content(engine)


def test_a_draft_not_ready_is_not_framed_and_the_frame_is_framed_by_the_console_only(
    client: TestClient, seeded: SeedResult, engine: Engine
) -> None:
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    campaign = demo_campaign(engine)
    with transaction(engine) as conn:
        not_ready = {**campaign.page, "entry_points": ["quiz"], "quiz": []}
        catalog_repo.save_campaign(conn, replace(campaign, page=not_ready))
    preview = client.get(f"/campaigns/{DEMO_SLUG}/page/preview", headers=HTML).text
    assert "Not ready to show yet" in preview and "<iframe" not in preview
    frame = client.get(f"/campaigns/{DEMO_SLUG}/page/preview/frame", headers=HTML)
    assert frame.status_code == 409 and "cannot be shown yet" in frame.text
    assert "frame-ancestors 'self'" in frame.headers["content-security-policy"]
    assert client.get(f"{REVIEW}", headers=HTML).text.count("Confirm and publish") == 0
