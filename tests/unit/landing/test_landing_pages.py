"""Candidate pages: the landing page, the lead and apply forms, the quiz."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from landing_support import (
    USER_AGENT,
    FrozenClock,
    apply_event,
    campaign,
    entry_links,
    form_token,
    minimal_pdf,
    outbox,
)

from koers.events import CampaignPaused, CampaignPublished
from landing.submissions.repository import leads, quiz_results

pytestmark = pytest.mark.unit

HTML = {"accept": "text/html"}


def lead_rows(engine: sa.Engine) -> list[sa.Row[object]]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(leads)).all())


def open_lead_form(client: TestClient, query: str = "?v=v-video&utm_source=tiktok") -> str:
    page = client.get(f"/j/klantenservice-utrecht{query}")
    assert page.status_code == 200
    form = client.get(entry_links(page.text)["lead"])
    assert form.status_code == 200
    return form_token(form.text)


def lead_form_data(token: str, **overrides: str) -> dict[str, str]:
    data = {
        "form_token": token,
        "name": "Sanne de Vries",
        "phone": "06 12345678",
        "email": "",
        "contact_channel": "whatsapp",
        "best_moment": "evening",
        "consent": "yes",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_page_shows_the_job_and_three_entry_points_keeping_variant_and_utm(
    client: TestClient, published: CampaignPublished
) -> None:
    response = client.get("/j/klantenservice-utrecht?v=v-video&utm_source=tiktok&utm_medium=paid")

    assert response.status_code == 200
    assert "Word klantenservicemedewerker in Utrecht" in response.text
    assert "Acme Zorgverzekeringen" in response.text
    assert "Help klanten verder" in response.text
    links = entry_links(response.text)
    assert set(links) == {"quiz", "lead", "apply"}
    for href in links.values():
        query = parse_qs(urlsplit(href).query)
        assert query["v"] == ["v-video"]
        assert query["utm_source"] == ["tiktok"]
        assert query["utm_medium"] == ["paid"]
        assert query["visit"]


def test_page_shows_only_the_entry_points_the_campaign_offers(
    client: TestClient, engine: sa.Engine
) -> None:
    apply_event(engine, campaign(entry_points=("lead",)))

    response = client.get("/j/klantenservice-utrecht")

    assert set(entry_links(response.text)) == {"lead"}
    assert client.get("/j/klantenservice-utrecht/quiz").status_code == 404


def test_page_view_is_counted_with_a_visitor_key_but_no_ip_or_user_agent(
    client: TestClient, published: CampaignPublished, engine: sa.Engine, clock: FrozenClock
) -> None:
    client.get("/j/klantenservice-utrecht?v=v-image&utm_source=instagram")

    [viewed] = outbox(engine, "PageViewed")
    assert viewed["campaign_id"] == "cmp-1"
    assert viewed["tenant_id"] == "acme"
    assert viewed["payload"]["variant_id"] == "v-image"
    assert viewed["payload"]["utm_source"] == "instagram"
    assert viewed["payload"]["visited_at"].startswith("2025-03-12T09:30:00")
    assert re.fullmatch(r"[0-9a-f]{64}", viewed["payload"]["visitor_key"])
    with engine.connect() as conn:
        everything = str(conn.execute(sa.text("SELECT * FROM outbox")).all())
        everything += str(conn.execute(sa.text("SELECT * FROM visitor_salts")).all())
    assert "KoersTestPhone" not in everything
    assert "testclient" not in everything  # TestClient's client address


def test_same_visitor_same_day_gets_the_same_key_and_another_campaign_another(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    apply_event(engine, campaign(slug="magazijn-tilburg"), campaign_id="cmp-2")
    client.get("/j/klantenservice-utrecht")
    client.get("/j/klantenservice-utrecht")
    client.get("/j/magazijn-tilburg")
    client.get("/j/klantenservice-utrecht", headers={"user-agent": "Another phone"})

    keys = [e["payload"]["visitor_key"] for e in outbox(engine, "PageViewed")]
    assert keys[0] == keys[1]
    assert keys[2] != keys[0]
    assert keys[3] != keys[0]


def test_unknown_or_absent_variant_counts_as_direct(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    client.get("/j/klantenservice-utrecht?v=not-a-variant")
    client.get("/j/klantenservice-utrecht")

    variants = [e["payload"]["variant_id"] for e in outbox(engine, "PageViewed")]
    assert variants == ["direct", "direct"]


def test_unknown_slug_gets_a_friendly_404_page(client: TestClient) -> None:
    response = client.get("/j/bestaat-niet")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Deze pagina bestaat niet (meer)" in response.text


def test_paused_campaign_page_is_not_found(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    apply_event(engine, CampaignPaused(slug="klantenservice-utrecht", reason="vol"))

    response = client.get("/j/klantenservice-utrecht", headers=HTML)

    assert response.status_code == 404
    assert "Deze pagina bestaat niet (meer)" in response.text


def test_pages_send_a_strict_csp_and_security_headers_and_no_inline_styles(
    client: TestClient, published: CampaignPublished
) -> None:
    page = client.get("/j/klantenservice-utrecht")
    form = client.get(entry_links(page.text)["lead"])

    for response in (page, form):
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp
        assert "style-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        # The one inline script is allowed by its hash, and only it.
        [script] = re.findall(r"<script>(.*?)</script>", response.text, re.S)
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"script-src 'sha256-{digest}'" in csp
        assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        assert " style=" not in response.text
        assert "set-cookie" not in response.headers
        # Nothing from another origin: every src and href is root-relative or a fragment.
        for url in re.findall(r'(?:src|href|action)="([^"]*)"', response.text):
            assert url.startswith(("/", "#", "data:")), url
    assert client.get("/static/landing.css").status_code == 200


def test_theme_css_carries_the_campaign_colour(
    client: TestClient, published: CampaignPublished
) -> None:
    response = client.get("/j/klantenservice-utrecht/theme.css")

    assert response.headers["content-type"].startswith("text/css")
    assert "--primary: #aa3300" in response.text


def test_every_form_input_has_a_label(client: TestClient, published: CampaignPublished) -> None:
    page = client.get("/j/klantenservice-utrecht")
    for href in entry_links(page.text).values():
        html = client.get(href).text
        ids = re.findall(r'<input id="([^"]+)"', html)
        labelled = set(re.findall(r'<label for="([^"]+)"', html))
        assert ids, href
        assert set(ids) <= labelled, href
        assert re.findall(r"<input (?!id=)(?!type=\"hidden\")", html) == []


# --- lead form -------------------------------------------------------------------------


def test_lead_form_records_entry_started_and_shows_the_consent_text(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    page = client.get("/j/klantenservice-utrecht?v=v-video")
    form = client.get(entry_links(page.text)["lead"])

    assert "maximaal 12 maanden" in form.text
    [started] = outbox(engine, "EntryStarted")
    assert started["payload"]["entry_point"] == "lead"
    assert started["payload"]["variant_id"] == "v-video"


@pytest.mark.parametrize("typed", ["06 12345678", "+31 6 12345678", "0612345678"])
def test_lead_is_stored_with_e164_phone_and_a_lead_submitted_event_without_personal_data(
    client: TestClient,
    published: CampaignPublished,
    engine: sa.Engine,
    clock: FrozenClock,
    typed: str,
) -> None:
    token = open_lead_form(client)
    clock.advance(minutes=3)

    response = client.post(
        "/j/klantenservice-utrecht/lead",
        data=lead_form_data(token, phone=typed, email="Sanne@Example.NL"),
        follow_redirects=False,
    )

    assert response.status_code == 303
    [lead] = lead_rows(engine)
    assert lead.phone_e164 == "+31612345678"
    assert lead.email == "Sanne@example.nl"
    assert lead.name == "Sanne de Vries"
    assert lead.contact_channel == "whatsapp"
    assert lead.best_moment == "evening"
    assert lead.variant_id == "v-video"
    assert lead.entry_point == "lead"
    assert lead.status == "new"
    assert lead.is_demo is False
    assert lead.utm == {"utm_source": "tiktok"}
    assert "maximaal 12 maanden" in lead.consent_text
    [submitted] = outbox(engine, "LeadSubmitted")
    assert submitted["payload"]["lead_id"] == str(lead.lead_id)
    assert submitted["payload"]["contact_channel"] == "whatsapp"
    assert submitted["payload"]["variant_id"] == "v-video"
    [viewed] = outbox(engine, "PageViewed")
    assert submitted["payload"]["visited_at"] == viewed["payload"]["visited_at"]
    assert submitted["payload"]["visitor_key"] == viewed["payload"]["visitor_key"]
    assert submitted["occurred_at"].startswith("2025-03-12T09:33:00")
    raw = str(outbox(engine))
    for personal in ("Sanne", "612345678", "example.nl"):
        assert personal not in raw


def test_thank_you_page_says_what_happens_next_through_the_chosen_channel(
    client: TestClient, published: CampaignPublished
) -> None:
    token = open_lead_form(client)

    response = client.post(
        "/j/klantenservice-utrecht/lead", data=lead_form_data(token), follow_redirects=True
    )

    assert response.status_code == 200
    assert response.url.path == "/j/klantenservice-utrecht/thanks"
    assert "WhatsApp" in response.text
    assert "Wat gebeurt er nu?" in response.text


def test_invalid_phone_re_renders_the_form_with_a_message_and_the_entered_values(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    token = open_lead_form(client)

    response = client.post(
        "/j/klantenservice-utrecht/lead", data=lead_form_data(token, phone="12ab")
    )

    assert response.status_code == 422
    assert "Dit telefoonnummer klopt niet" in response.text
    assert 'value="Sanne de Vries"' in response.text
    assert 'value="12ab"' in response.text
    assert form_token(response.text) == token
    assert lead_rows(engine) == []
    assert outbox(engine, "LeadSubmitted") == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"consent": None}, "Zonder je toestemming"),
        ({"phone": "", "email": ""}, "Vul een telefoonnummer of e-mailadres in"),
        ({"contact_channel": "email"}, "Vul je e-mailadres in"),
        ({"contact_channel": "carrier-pigeon"}, "Kies hoe we contact met je mogen opnemen"),
        ({"email": "geen-adres"}, "Dit e-mailadres klopt niet"),
        ({"name": "  "}, "Vul je naam in"),
    ],
)
def test_invalid_lead_forms_get_422_with_a_field_message(
    client: TestClient,
    published: CampaignPublished,
    engine: sa.Engine,
    overrides: dict[str, str | None],
    message: str,
) -> None:
    token = open_lead_form(client)
    data = lead_form_data(token)
    for key, value in overrides.items():
        if value is None:
            del data[key]
        else:
            data[key] = value

    response = client.post("/j/klantenservice-utrecht/lead", data=data)

    assert response.status_code == 422
    assert message in response.text
    assert lead_rows(engine) == []


def test_double_submit_stores_one_lead_and_shows_the_same_thank_you(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    token = open_lead_form(client)

    first = client.post(
        "/j/klantenservice-utrecht/lead", data=lead_form_data(token), follow_redirects=False
    )
    second = client.post(
        "/j/klantenservice-utrecht/lead",
        data=lead_form_data(token, contact_channel="phone"),
        follow_redirects=False,
    )

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(lead_rows(engine)) == 1
    assert len(outbox(engine, "LeadSubmitted")) == 1


def test_tampered_token_gets_a_friendly_error_page(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    token = open_lead_form(client)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")

    response = client.post("/j/klantenservice-utrecht/lead", data=lead_form_data(tampered))

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "Dit formulier kunnen we niet verwerken" in response.text
    assert 'href="/j/klantenservice-utrecht?lang=nl"' in response.text
    assert lead_rows(engine) == []


def test_token_of_another_campaign_or_form_is_refused(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    apply_event(engine, campaign(slug="magazijn-tilburg"), campaign_id="cmp-2")
    foreign = open_lead_form(client)  # for klantenservice-utrecht
    page = client.get("/j/klantenservice-utrecht")
    quiz_token = form_token(client.get(entry_links(page.text)["quiz"]).text)

    other_campaign = client.post("/j/magazijn-tilburg/lead", data=lead_form_data(foreign))
    other_form = client.post("/j/klantenservice-utrecht/lead", data=lead_form_data(quiz_token))
    missing = client.post("/j/klantenservice-utrecht/lead", data={"name": "x"})

    assert other_campaign.status_code == other_form.status_code == missing.status_code == 400
    assert lead_rows(engine) == []


def test_expired_form_token_is_refused(
    client: TestClient, published: CampaignPublished, engine: sa.Engine, clock: FrozenClock
) -> None:
    token = open_lead_form(client)
    clock.advance(hours=25)

    response = client.post("/j/klantenservice-utrecht/lead", data=lead_form_data(token))

    assert response.status_code == 400
    assert "Dit formulier is verlopen" in response.text
    assert lead_rows(engine) == []


def test_lead_sent_after_the_campaign_paused_is_refused_as_closed(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    # Issue 12: a form opened before a pause cannot post after it.
    token = open_lead_form(client)
    apply_event(engine, CampaignPaused(slug="klantenservice-utrecht"))

    response = client.post("/j/klantenservice-utrecht/lead", data=lead_form_data(token))

    assert response.status_code == 410
    assert lead_rows(engine) == []


def test_lead_form_opened_directly_starts_a_visit_there(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    form = client.get("/j/klantenservice-utrecht/lead?v=v-image&utm_source=mail")
    client.post(
        "/j/klantenservice-utrecht/lead",
        data=lead_form_data(form_token(form.text), email="a@b.nl", contact_channel="email"),
    )

    [started] = outbox(engine, "EntryStarted")
    [submitted] = outbox(engine, "LeadSubmitted")
    assert started["payload"]["variant_id"] == submitted["payload"]["variant_id"] == "v-image"
    assert started["payload"]["visited_at"] == submitted["payload"]["visited_at"]
    assert lead_rows(engine)[0].utm == {"utm_source": "mail"}


# --- apply -------------------------------------------------------------------------------


def test_apply_stores_a_lead_with_entry_point_apply_and_an_application_event(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    page = client.get("/j/klantenservice-utrecht?v=v-image")
    form = client.get(entry_links(page.text)["apply"])
    assert "Solliciteren" in form.text
    assert 'action="/j/klantenservice-utrecht/apply?lang=nl"' in form.text
    assert 'enctype="multipart/form-data"' in form.text

    response = client.post(
        "/j/klantenservice-utrecht/apply",
        data=lead_form_data(form_token(form.text), email="sanne@example.nl"),
        files={"cv": ("cv.pdf", minimal_pdf(), "application/pdf")},
    )

    assert response.status_code == 200
    assert "Bedankt voor je sollicitatie" in response.text
    [lead] = lead_rows(engine)
    assert lead.entry_point == "apply"
    assert lead.contact_channel == "email"
    [started] = outbox(engine, "EntryStarted")
    assert started["payload"]["entry_point"] == "apply"
    [application] = outbox(engine, "ApplicationSubmitted")
    assert application["payload"]["application_id"] == str(lead.lead_id)
    assert len(outbox(engine, "LeadSubmitted")) == 1


# --- quiz --------------------------------------------------------------------------------


def test_quiz_scores_the_answers_stores_the_result_and_points_to_the_lead_form(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    page = client.get("/j/klantenservice-utrecht?v=v-video&utm_source=tiktok")
    quiz = client.get(entry_links(page.text)["quiz"])
    assert "Hoeveel uur per week wil je werken?" in quiz.text
    assert "Vraag 1 van 2" in quiz.text
    assert len(re.findall(r'type="radio"', quiz.text)) == 2  # one question at a time

    result = client.post(
        "/j/klantenservice-utrecht/quiz",
        data={"form_token": form_token(quiz.text), "q0": "0", "q1": "0"},
    )

    assert result.status_code == 200
    assert "Jij past goed bij deze baan" in result.text
    [completed] = outbox(engine, "QuizCompleted")
    assert completed["payload"]["score"] == 10
    assert completed["payload"]["qualified"] is True
    with engine.connect() as conn:
        [stored] = conn.execute(sa.select(quiz_results)).all()
    assert stored.answers == [0, 0]
    assert stored.variant_id == "v-video"
    # The next step keeps the visit, so the lead shares the visit's time.
    lead_link = re.search(r'href="(/j/klantenservice-utrecht/lead[^"]+)"', result.text)
    assert lead_link
    form = client.get(lead_link.group(1).replace("&amp;", "&"))
    client.post("/j/klantenservice-utrecht/lead", data=lead_form_data(form_token(form.text)))
    [submitted] = outbox(engine, "LeadSubmitted")
    [viewed] = outbox(engine, "PageViewed")
    assert submitted["payload"]["visited_at"] == viewed["payload"]["visited_at"]
    assert submitted["payload"]["variant_id"] == "v-video"


def test_quiz_with_a_missing_answer_is_shown_again(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    quiz = client.get("/j/klantenservice-utrecht/quiz")

    result = client.post(
        "/j/klantenservice-utrecht/quiz", data={"form_token": form_token(quiz.text), "q0": "1"}
    )

    assert result.status_code == 422
    assert "Kies een antwoord" in result.text
    assert "Help je graag mensen?" in result.text  # the unanswered question
    assert '<input type="hidden" name="q0" value="1">' in result.text  # kept
    assert outbox(engine, "QuizCompleted") == []


def test_each_quiz_step_redirects_to_a_page_of_the_next_so_back_never_resends(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    first = client.get("/j/klantenservice-utrecht/quiz")
    token = form_token(first.text)

    step = client.post(
        "/j/klantenservice-utrecht/quiz",
        data={"form_token": token, "step": "0", "q0": "1"},
        follow_redirects=False,
    )

    assert step.status_code == 303
    second = client.get(step.headers["location"])
    assert "Vraag 2 van 2" in second.text
    assert "Help je graag mensen?" in second.text
    assert '<input type="hidden" name="q0" value="1">' in second.text
    assert form_token(second.text) == token  # one form: one nonce, one clock
    assert len(outbox(engine, "EntryStarted")) == 1  # the redirect starts nothing anew
    # Back is a GET of the first step; an answer list that is no option counts for nothing.
    assert "Vraag 1 van 2" in client.get(first.url).text
    tampered = step.headers["location"].replace("answers=1", "answers=9")
    assert "Vraag 1 van 2" in client.get(tampered).text
    result = client.post(
        "/j/klantenservice-utrecht/quiz",
        data={"form_token": token, "step": "1", "q0": "1", "q1": "0"},
    )
    assert "Bedankt voor het invullen" in result.text or "Jij past" in result.text
    assert len(outbox(engine, "QuizCompleted")) == 1


def test_low_quiz_score_is_not_qualified_and_a_double_submit_counts_once(
    client: TestClient, published: CampaignPublished, engine: sa.Engine
) -> None:
    quiz = client.get("/j/klantenservice-utrecht/quiz")
    data = {"form_token": form_token(quiz.text), "q0": "1", "q1": "1"}

    first = client.post("/j/klantenservice-utrecht/quiz", data=data)
    second = client.post("/j/klantenservice-utrecht/quiz", data=data)

    assert first.status_code == second.status_code == 200
    assert "Bedankt voor het invullen" in first.text
    [completed] = outbox(engine, "QuizCompleted")
    assert completed["payload"]["qualified"] is False
    assert USER_AGENT not in str(outbox(engine))
