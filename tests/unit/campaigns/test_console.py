from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from campaigns_testkit import DEMO_PASSWORD, HTML, NOW, FakeAnalytics, csrf_from, funnel_for, log_in
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from campaigns.demo import DEMO_EMAIL, DEMO_SLUG
from campaigns.insights.domain import FunnelCounts
from campaigns.seed import SeedResult
from campaigns.tenancy.service import create_user
from koers.db import transaction
from tests.support import campaigns_db as repo
from tests.support.passwords import FAST_PASSWORD_HASHER

pytestmark = pytest.mark.unit


def demo_campaign_id(engine: Engine) -> str:
    with engine.connect() as conn:
        campaign_id: str = conn.execute(
            sa.select(repo.campaigns.c.id).where(repo.campaigns.c.slug == DEMO_SLUG)
        ).scalar_one()
    return campaign_id


def test_pages_need_a_login(client: TestClient, seeded: SeedResult) -> None:
    for path in ("/", f"/campaigns/{DEMO_SLUG}"):
        response = client.get(path, headers=HTML, follow_redirects=False)
        assert response.status_code == 303
        # The page asked for comes along as ``next`` (a path on this site).
        assert response.headers["location"].split("?")[0] == "/login"


def test_login_with_the_right_password_shows_the_campaigns(
    client: TestClient, seeded: SeedResult
) -> None:
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)

    page = client.get("/", headers=HTML)
    assert page.status_code == 200
    assert "Klantenservicemedewerker Utrecht" in page.text
    assert "Demo Werving BV" in page.text
    cookie = client.cookies.jar
    assert [c.name for c in cookie] == ["koers_session"]


def test_the_session_cookie_is_httponly_and_samesite(client: TestClient) -> None:
    response = client.get("/login", headers=HTML)
    set_cookie = response.headers["set-cookie"].lower()
    assert set_cookie.startswith("koers_session=")
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie


def test_login_with_a_wrong_password_shows_the_form_again(
    client: TestClient, seeded: SeedResult
) -> None:
    token = csrf_from(client.get("/login", headers=HTML).text)
    response = client.post(
        "/login",
        data={"email": DEMO_EMAIL, "password": "guess", "csrf_token": token},
        headers=HTML,
    )
    assert response.status_code == 401
    assert "do not match" in response.text
    assert 'name="password"' in response.text
    assert client.get("/", headers=HTML, follow_redirects=False).status_code == 303


def test_login_of_an_unknown_user_looks_like_a_wrong_password(client: TestClient) -> None:
    token = csrf_from(client.get("/login", headers=HTML).text)
    response = client.post(
        "/login",
        data={"email": "nobody@example.nl", "password": "x", "csrf_token": token},
        headers=HTML,
    )
    assert response.status_code == 401 and "do not match" in response.text


def test_an_empty_login_form_asks_for_both_fields(client: TestClient) -> None:
    token = csrf_from(client.get("/login", headers=HTML).text)
    response = client.post("/login", data={"csrf_token": token}, headers=HTML)
    assert response.status_code == 400 and "Please fill in" in response.text


@pytest.mark.parametrize("token", [None, "forged"])
def test_login_without_the_csrf_token_is_refused(
    client: TestClient, seeded: SeedResult, token: str | None
) -> None:
    client.get("/login", headers=HTML)
    data = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    if token:
        data["csrf_token"] = token
    response = client.post("/login", data=data, headers=HTML, follow_redirects=False)
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert "reload the page" in response.text
    assert client.get("/", headers=HTML, follow_redirects=False).status_code == 303


def test_logout_needs_the_csrf_token_and_ends_the_session(
    client: TestClient, seeded: SeedResult
) -> None:
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    assert client.post("/logout", headers=HTML).status_code == 403
    assert client.get("/", headers=HTML).status_code == 200

    token = csrf_from(client.get("/", headers=HTML).text)
    response = client.post(
        "/logout", data={"csrf_token": token}, headers=HTML, follow_redirects=False
    )
    assert response.status_code == 303
    assert client.get("/", headers=HTML, follow_redirects=False).status_code == 303


def test_campaign_page_shows_variants_links_spend_and_funnel(
    client: TestClient, seeded: SeedResult, engine: Engine, analytics: FakeAnalytics
) -> None:
    campaign_id = demo_campaign_id(engine)
    analytics.funnel = funnel_for(
        campaign_id,
        {
            "instagram": FunnelCounts(
                visits=4321,
                quiz_starts=300,
                lead_starts=200,
                apply_starts=33,
                quiz_completions=271,
                leads=87,
                applications=19,
                spend=Decimal("1131.00"),
            ),
            "linkedin": FunnelCounts(visits=999, leads=0, spend=Decimal("1200.00")),
        },
    )
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)

    page = client.get(f"/campaigns/{DEMO_SLUG}", headers=HTML)

    assert page.status_code == 200
    assert analytics.asked == [campaign_id]
    for variant in ("instagram", "tiktok", "linkedin", "facebook"):
        assert f'id="variant-{variant}"' in page.text
        assert f"https://jobs.example.nl/j/{DEMO_SLUG}?v={variant}" in page.text
    assert "video" in page.text and "image" in page.text
    assert "Sanne (24)" in page.text  # the TikTok hook
    # the instagram funnel: visits, entry starts (300+200+33), quiz completions, leads,
    # applications, spend and cost per lead (1131 / 87 = 13.00)
    for figure in ("4321", "533", "271", "87", "19", "€1,131.00", "€13.00"):
        assert f">{figure}<" in page.text, figure
    # four complete weeks of spend from the seed
    for week in ("2026-W44", "2026-W45", "2026-W46", "2026-W47"):
        assert week in page.text


def test_campaign_page_without_candidate_data_says_so(
    client: TestClient, seeded: SeedResult
) -> None:
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    page = client.get(f"/campaigns/{DEMO_SLUG}", headers=HTML)
    assert page.status_code == 200
    assert "No candidate data yet" in page.text


def test_campaign_page_survives_analytics_being_down(
    client: TestClient, seeded: SeedResult, analytics: FakeAnalytics
) -> None:
    analytics.down = True
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    page = client.get(f"/campaigns/{DEMO_SLUG}", headers=HTML)
    assert page.status_code == 200
    assert "analytics service is not answering" in page.text
    assert 'id="variant-tiktok"' in page.text


def test_another_tenants_campaign_is_not_found(
    client: TestClient, seeded: SeedResult, engine: Engine
) -> None:
    with transaction(engine) as conn:
        repo.add_tenant(conn, "other-tenant", "Andere Werkgever BV")
        create_user(
            conn,
            tenant_id="other-tenant",
            email="recruiter@andere.nl",
            password="another strong password",
            role="marketer",
            now=NOW,
            language="en",
            password_hasher=FAST_PASSWORD_HASHER,
        )
    log_in(client, "recruiter@andere.nl", "another strong password")

    listing = client.get("/", headers=HTML)
    assert "Klantenservicemedewerker Utrecht" not in listing.text
    assert "no campaigns" in listing.text

    page = client.get(f"/campaigns/{DEMO_SLUG}", headers=HTML)
    assert page.status_code == 404
    assert "Klantenservicemedewerker" not in page.text


def test_pages_carry_no_inline_styles_or_scripts(client: TestClient, seeded: SeedResult) -> None:
    log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    for path in ("/login", "/", f"/campaigns/{DEMO_SLUG}", "/campaigns/missing"):
        html = client.get(path, headers=HTML).text
        assert "style=" not in html and "<style" not in html and "<script" not in html
    css = client.get("/static/console.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
