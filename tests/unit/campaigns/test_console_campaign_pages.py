"""The console as a marketer uses it: forms with errors next to their fields, flash
messages, the page builder, lists with pagination, the tenant switcher, login
throttling, API tokens and the session cookie."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from campaigns_testkit import DEMO_PASSWORD, HTML, NOW, FakeAnalytics, csrf_from, log_in
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from campaigns.config import Settings
from campaigns.demo import DEMO_EMAIL, DEMO_SLUG, DEMO_TENANT
from campaigns.main import create_app
from campaigns.seed import SeedResult
from campaigns.tenancy import repository as repo
from koers.db import transaction
from tests.support import campaigns_use_cases as service_layer
from tests.support.passwords import FAST_PASSWORD_HASHER

pytestmark = pytest.mark.unit


def csrf(client: TestClient) -> str:
    return str(csrf_from(client.get("/", headers=HTML).text))


def post(client: TestClient, url: str, data: dict[str, str]) -> object:
    return client.post(
        url, data={"csrf_token": csrf(client), **data}, headers=HTML, follow_redirects=False
    )


def field_error(html: str, name: str) -> str:
    match = re.search(rf'id="e-{re.escape(name)}">([^<]+)<', html)
    return match.group(1) if match else ""


def test_a_campaign_form_shows_errors_next_to_the_fields(
    client: TestClient, seeded: SeedResult
) -> None:
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    response = client.post(
        "/campaigns",
        data={
            "csrf_token": csrf(client),
            "name": "",
            "vacancy_title": "Monteur",
            "weekly_budget": "veel",
            "hours_min": "40",
            "hours_max": "20",
        },
        headers=HTML,
    )
    assert response.status_code == 422
    assert field_error(response.text, "name") == "Please fill this in."
    assert "amount" in field_error(response.text, "weekly_budget")
    assert 'value="Monteur"' in response.text  # what was typed stays
    assert 'aria-invalid="true"' in response.text


def test_creating_a_campaign_with_creatives_and_a_page(
    client: TestClient, seeded: SeedResult
) -> None:
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    created = post(
        client,
        "/campaigns",
        {
            "name": "Monteur Amersfoort",
            "vacancy_title": "Servicemonteur",
            "location": "Amersfoort",
            "weekly_budget": "750,00",
            "goal": "application",
            "exploration_pct": "15",
            "cap_tiktok": "40",
        },
    )
    assert created.status_code == 303  # type: ignore[attr-defined]
    detail = client.get("/campaigns/monteur-amersfoort", headers=HTML)
    assert "Campaign “Monteur Amersfoort” created" in detail.text
    assert "No creatives yet" in detail.text

    for channel in ("tiktok", "linkedin"):
        added = post(
            client,
            "/campaigns/monteur-amersfoort/creatives",
            {"name": f"{channel} ad", "channel": channel, "hook": "Sleutel jij graag?"},
        )
        assert added.status_code == 303  # type: ignore[attr-defined]
    bad = client.post(
        "/campaigns/monteur-amersfoort/creatives",
        data={"csrf_token": csrf(client), "name": "x", "channel": "myspace", "hook": ""},
        headers=HTML,
    )
    assert bad.status_code == 422
    assert field_error(bad.text, "hook") == "Please fill this in."
    assert field_error(bad.text, "channel")

    too_high = client.post(
        "/campaigns/monteur-amersfoort/page",
        data={
            "csrf_token": csrf(client),
            "language": "nl",
            "languages": "nl",
            "employer_name": DEMO_TENANT,
            "headline": "Word servicemonteur",
            "entry_points": ["quiz", "lead"],
            "contact_channels": "whatsapp",
            "q0_question": "Heb je een rijbewijs?",
            "q0_o0_label": "Ja",
            "q0_o0_score": "10",
            "q0_o1_label": "Nee",
            "q0_o1_score": "0",
            "quiz_pass_score": "50",
        },
        headers=HTML,
    )
    assert too_high.status_code == 422
    assert "reachable" in field_error(too_high.text, "quiz_pass_score")
    assert 'value="Heb je een rijbewijs?"' in too_high.text

    saved = post(
        client,
        "/campaigns/monteur-amersfoort/page",
        {
            "language": "nl",
            "languages": "nl",
            "employer_name": DEMO_TENANT,
            "headline": "Word servicemonteur",
            "entry_points": "lead",
            "contact_channels": ["whatsapp", "phone"],
            "then": "preview",
        },
    )
    assert saved.headers["location"].endswith("/page/preview")  # type: ignore[attr-defined]
    preview = client.get("/campaigns/monteur-amersfoort/page/preview", headers=HTML)
    frame = re.search(r'<iframe class="preview-frame" src="([^"]+)"', preview.text)
    assert frame is not None and frame.group(1).endswith("/page/preview/frame?lang=nl")
    # landing renders the frame (tests/browser/test_page_builder_browser.py); without it
    # the frame says so instead of failing
    framed = client.get(frame.group(1), headers=HTML)
    assert framed.status_code == 503 and "did not answer" in framed.text
    assert "frame-ancestors 'self'" in framed.headers["content-security-policy"]

    unconfirmed = post(client, "/campaigns/monteur-amersfoort/page/publish", {})
    assert unconfirmed.headers["location"].endswith("/page/publish")  # type: ignore[attr-defined]
    assert client.get("/api/v1/campaigns/monteur-amersfoort").json()["page_version"] == 0
    review = client.get("/campaigns/monteur-amersfoort/page/publish", headers=HTML).text
    assert "Word servicemonteur" in review  # every field is new on a first publication
    reviewed = re.search(r'name="reviewed" value="([0-9a-f]+)"', review)
    assert reviewed is not None
    published = post(
        client, "/campaigns/monteur-amersfoort/page/publish", {"reviewed": reviewed.group(1)}
    )
    assert published.status_code == 303  # type: ignore[attr-defined]
    detail = client.get("/campaigns/monteur-amersfoort", headers=HTML)
    assert "is published and live" in detail.text
    api = client.get("/api/v1/campaigns/monteur-amersfoort").json()
    assert api["status"] == "live" and api["page_version"] == 1
    assert api["guardrails"]["exploration_share"] == pytest.approx(0.15)
    assert api["guardrails"]["channel_caps"] == {"tiktok": pytest.approx(0.4)}
    assert [v["variant_id"] for v in api["variants"]] == ["tiktok", "linkedin"]

    history = client.get("/campaigns/monteur-amersfoort/history", headers=HTML)
    for action in ("create", "add creative", "save page", "publish"):
        assert action in history.text


def test_the_campaign_list_filters_and_pages(
    client: TestClient, seeded: SeedResult, engine: Engine
) -> None:
    with transaction(engine) as conn:
        tenant_id = repo.tenant_id_by_name(conn, DEMO_TENANT)
        assert tenant_id is not None
        for n in range(24):
            service_layer.create_campaign(
                conn,
                tenant_id=tenant_id,
                new=service_layer.NewCampaign(
                    slug=f"extra-{n:02d}",
                    name=f"Extra {n:02d}",
                    vacancy_title="Chauffeur",
                    goal="lead",
                    weekly_budget=Decimal("100"),
                    page={},
                    variants=(),
                ),
                actor="t",
                now=NOW + timedelta(minutes=n),
            )
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    first = client.get("/", headers=HTML).text
    assert first.count('class="campaign-name"') == 20 and "Page 1 of 2 · 25 in all" in first
    second = client.get("/?page=2", headers=HTML).text
    assert second.count('class="campaign-name"') == 5 and DEMO_SLUG in second
    live_only = client.get("/?status=live", headers=HTML).text
    assert live_only.count('class="campaign-name"') == 1
    nothing = client.get("/?q=zzz", headers=HTML).text
    assert "No campaign matches this filter." in nothing
    assert client.get("/?page=0", headers=HTML).status_code == 422
    typed = client.get("/campaigns?status=live", headers=HTML, follow_redirects=False)
    assert typed.status_code == 303 and typed.headers["location"] == "/?status=live"


def test_a_viewer_sees_no_buttons_that_change_things(
    client: TestClient, seeded: SeedResult, engine: Engine
) -> None:
    with transaction(engine) as conn:
        tenant_id = repo.tenant_id_by_name(conn, DEMO_TENANT)
        assert tenant_id is not None
        service_layer.create_user(
            conn,
            tenant_id=tenant_id,
            email="kijker@example.nl",
            password=DEMO_PASSWORD,
            role="viewer",
            now=NOW,
        )
    log_in(client, "kijker@example.nl", DEMO_PASSWORD)
    page = client.get(f"/campaigns/{DEMO_SLUG}", headers=HTML).text
    assert "Add creative" not in page and "Pause" not in page and ">Edit<" not in page
    assert "New campaign" not in client.get("/", headers=HTML).text
    forbidden = client.get(f"/campaigns/{DEMO_SLUG}/edit", headers=HTML)
    assert forbidden.status_code == 403 and "Not allowed for your role" in forbidden.text


def test_an_agency_user_switches_between_employers(
    client: TestClient, seeded: SeedResult, engine: Engine
) -> None:
    with transaction(engine) as conn:
        demo = repo.tenant_id_by_name(conn, DEMO_TENANT)
        assert demo is not None
        repo.add_tenant(conn, "other", "Transport Noord")
        repo.add_tenant(conn, "third", "Zorg Zuid")
        agency = service_layer.create_user(
            conn,
            tenant_id=demo,
            email="bureau@example.nl",
            password=DEMO_PASSWORD,
            role="marketer",
            now=NOW,
        )
        repo.add_membership(conn, user_id=agency, tenant_id="other", role="viewer", created_at=NOW)
    log_in(client, "bureau@example.nl", DEMO_PASSWORD)
    # With two employers nobody is chosen for them: they choose first.
    chooser = client.get("/", headers=HTML)
    assert chooser.url.path == "/employer"
    assert "Transport Noord" in chooser.text and DEMO_TENANT in chooser.text
    assert post(client, "/tenant", {"tenant_id": demo}).status_code == 303  # type: ignore[attr-defined]
    first = client.get("/", headers=HTML).text
    assert "Transport Noord (viewer)" in first and DEMO_SLUG in first
    switched = post(client, "/tenant", {"tenant_id": "other"})
    assert switched.status_code == 303  # type: ignore[attr-defined]
    now_other = client.get("/", headers=HTML).text
    assert "You are now working for Transport Noord." in now_other
    assert DEMO_SLUG not in now_other and "There are no campaigns for Transport Noord" in now_other
    assert client.get(f"/campaigns/{DEMO_SLUG}", headers=HTML).status_code == 404
    assert client.get("/api/v1/me").json()["role"] == "viewer"
    refused = client.post(
        "/tenant", data={"csrf_token": csrf(client), "tenant_id": "third"}, headers=HTML
    )
    assert refused.status_code == 404


def test_failed_logins_are_throttled(client: TestClient, seeded: SeedResult) -> None:
    for _ in range(5):
        token = csrf_from(client.get("/login", headers=HTML).text)
        wrong = client.post(
            "/login",
            data={"email": DEMO_EMAIL, "password": "wrong", "csrf_token": token},
            headers=HTML,
        )
        assert wrong.status_code == 401
    token = csrf_from(client.get("/login", headers=HTML).text)
    right = client.post(
        "/login",
        data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert right.status_code == 429
    assert "Too many failed attempts" in right.text


def test_api_tokens_are_made_shown_once_and_revoked(client: TestClient, seeded: SeedResult) -> None:
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    made = client.post(
        "/settings/tokens",
        data={"csrf_token": csrf(client), "name": "rapportage", "role": "viewer"},
        headers=HTML,
    )
    assert made.status_code == 201
    secret = re.search(r'<code class="secret">([^<]+)</code>', made.text)
    assert secret
    bearer = {"Authorization": f"Bearer {secret.group(1)}"}
    anonymous = TestClient(client.app)
    me = anonymous.get("/api/v1/me", headers=bearer).json()
    assert me["tenant_name"] == DEMO_TENANT and me["role"] == "viewer" and me["via"] == "token"
    assert anonymous.get(f"/api/v1/campaigns/{DEMO_SLUG}", headers=bearer).status_code == 200
    listing = client.get("/settings", headers=HTML).text
    assert secret.group(1) not in listing and "rapportage" in listing

    token_id = client.get("/api/v1/tokens").json()[0]["id"]
    revoked = post(client, f"/settings/tokens/{token_id}/revoke", {})
    assert revoked.status_code == 303  # type: ignore[attr-defined]
    gone = anonymous.get("/api/v1/me", headers=bearer)
    assert gone.status_code == 401 and gone.json()["detail"]
    assert anonymous.get("/api/v1/me", headers={"Authorization": "Basic x"}).status_code == 401


def test_the_session_cookie_is_host_prefixed_secure_and_httponly(settings: Settings) -> None:
    secure = settings.model_copy(update={"secure_cookies": True})
    with TestClient(
        create_app(secure, analytics=FakeAnalytics(), password_hasher=FAST_PASSWORD_HASHER),
        base_url="https://testserver",
    ) as client:
        cookie = client.get("/login", headers=HTML).headers["set-cookie"]
    assert cookie.startswith("__Host-koers_session=")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"path=/", "httponly", "secure", "samesite=lax"} <= attributes
    assert not any(a.startswith("domain=") for a in attributes)
