"""A marketer's week in the console, in Chromium: log in, set up a campaign with two
creatives, build, preview and publish its page, import a Dutch Meta export and an English
LinkedIn export, see the funnel, and work a lead through to "hired".

Campaigns, landing and analytics are the real apps on their own databases; a candidate
really fills in the published page on a phone. Screenshots go to
test-artifacts/screenshots/console-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from console_support import DEMO_PASSWORD, ConsoleStack, console_stack

from campaigns.demo import DEMO_EMAIL

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
SPEND = ROOT / "tests" / "fixtures" / "spend"
TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
SLUG = "zorg-groningen"
LAPTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "en-GB"}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "locale": "nl-NL",
}


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-{name}.png"), full_page=True)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[ConsoleStack]:
    with console_stack(tmp_path, today=TODAY, now=NOW) as running:
        yield running


@pytest.fixture
def console(chromium: Any, stack: ConsoleStack) -> Iterator[Any]:
    context = chromium.new_context(**LAPTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def flash(page: Any) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())


def add_creative(page: Any, **fields: str) -> None:
    page.get_by_role("link", name="Add creative").click()
    page.fill("#f-name", fields["name"])
    page.select_option("#f-channel", fields["channel"])
    page.select_option("#f-creative_format", fields["format"])
    page.fill("#f-variant_id", fields["key"])
    page.fill("#f-ad_key", fields.get("ad_key", ""))
    page.fill("#f-hook", fields["hook"])
    page.fill("#f-tags", fields.get("tags", ""))
    page.get_by_role("button", name="Add creative").click()
    assert f"Creative “{fields['name']}” added." in flash(page)


def import_export(page: Any, file_name: str, label: str) -> None:
    page.goto(page.url.split("/campaigns/")[0] + f"/campaigns/{SLUG}/spend-imports")
    page.set_input_files("#spend-file", str(SPEND / file_name))
    page.get_by_role("button", name="Show preview").click()
    confirm = page.get_by_role("button", name=re.compile(r"^Import \d+ creative-days"))
    assert confirm.is_enabled(), page.content()[:2000]
    shot(page, f"import-preview-{label}")
    confirm.click()
    page.wait_for_load_state()


def test_a_marketer_sets_up_a_campaign_and_follows_it_to_a_hire(
    console: Any, chromium: Any, stack: ConsoleStack
) -> None:
    page = console
    base = stack.campaigns_url

    # Log in.
    page.goto(f"{base}/login")
    page.get_by_label("E-mail address").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
    assert page.locator(".campaign-name").first.is_visible()

    # A new campaign: first with a mistake, shown next to its field.
    page.get_by_role("link", name="New campaign").first.click()
    page.fill("#f-vacancy_title", "Zorgmedewerker VVT (24-36 uur)")
    page.fill("#f-weekly_budget", "veel")
    page.get_by_role("button", name="Create campaign").click()
    assert page.locator("#e-name").inner_text() == "Please fill this in."
    assert "amount" in page.locator("#e-weekly_budget").inner_text()
    shot(page, "campaign-form-errors")
    page.fill("#f-name", "Zorgmedewerker Groningen")
    page.fill("#f-slug", SLUG)
    page.fill("#f-location", "Groningen")
    page.fill("#f-hours_min", "24")
    page.fill("#f-hours_max", "36")
    page.fill("#f-salary_min", "2800")
    page.fill("#f-salary_max", "3400")
    page.fill("#f-persona_drivers", "Zinvol werk, vaste uren, collega's die helpen.")
    page.fill("#f-weekly_budget", "800,00")
    page.fill("#f-exploration_pct", "15")
    page.fill("#f-cap_linkedin", "50")
    page.get_by_role("button", name="Create campaign").click()
    assert "Campaign “Zorgmedewerker Groningen” created." in flash(page)

    # Two creatives; their ad names are those of the Meta export.
    add_creative(
        page,
        name="Zorgmedewerker video A",
        channel="instagram",
        format="video",
        key="video-a",
        ad_key="Zorgmedewerker video A",
        hook="Een dag meelopen op de afdeling - in 30 seconden",
        tags="hook:day-in-the-life, employee-video",
    )
    add_creative(
        page,
        name="Zorgmedewerker foto B",
        channel="facebook",
        format="image",
        key="foto-b",
        ad_key="Zorgmedewerker foto B",
        hook="€ 2.800 - € 3.400 en je rooster 4 weken vooruit",
    )
    shot(page, "campaign-draft")

    # Build the page, preview it, publish it.
    page.get_by_role("link", name="Page builder").click()
    page.fill("#f-headline", "Word zorgmedewerker in Groningen")
    page.fill("#f-intro", "Vaste uren, een fijn team en ruimte om te leren. Doe de quiz!")
    page.check("input[name=entry_points][value=quiz]")
    page.check("input[name=entry_points][value=lead]")
    page.uncheck("input[name=entry_points][value=apply]")
    page.fill("#f-q0_question", "Hoe vaak wil je werken?")
    page.fill("#f-q0_o0_label", "24 uur of meer")
    page.fill("#f-q0_o0_score", "40")
    page.fill("#f-q0_o1_label", "Minder dan 24 uur")
    page.fill("#f-q0_o1_score", "10")
    page.fill("#f-quiz_pass_score", "30")
    shot(page, "page-builder")
    page.get_by_role("button", name="Save and preview").click()
    page.wait_for_url(re.compile(r"/page/preview$"))
    preview = page.frame_locator("iframe.preview-frame")  # landing's own rendering
    headline = preview.locator("h1").inner_text().replace("\u00ad", "")
    assert headline == "Word zorgmedewerker in Groningen"
    assert preview.locator(".entry-points a.button").count() == 2
    shot(page, "page-preview")
    page.get_by_role("link", name="Publish…").click()
    assert "Candidates see this page for the first time" in page.inner_text("main")
    page.get_by_role("button", name="Confirm and publish").click()
    assert "Page version 1 is published and live." in flash(page)
    assert page.locator("h1 .status").inner_text() == "live"
    shot(page, "campaign-live")

    # The page reaches landing; a candidate on a phone leaves a phone number.
    assert stack.deliver() >= 1
    candidate_context = chromium.new_context(**PHONE)
    candidate = candidate_context.new_page()
    candidate.goto(f"{stack.landing_url}/j/{SLUG}?v=video-a&utm_source=instagram")
    # Long words carry soft hyphens (they break on the narrowest phones); read without them.
    headline = candidate.locator("h1").inner_text().replace("\u00ad", "")
    assert headline == "Word zorgmedewerker in Groningen"
    candidate.locator("a[data-entry=lead]").click()
    candidate.get_by_label("Naam").fill("Fatima El Amrani")
    candidate.get_by_label("Telefoonnummer").fill("06 23456789")
    candidate.get_by_label("WhatsApp").check()
    candidate.locator("#consent").check()
    candidate.get_by_role("button", name="Verstuur").click()
    candidate.wait_for_url(re.compile(r"/thanks\?"))
    candidate_context.close()

    # Two LinkedIn creatives join while the campaign runs; then the week's spend.
    page.goto(f"{base}/campaigns/{SLUG}")
    add_creative(
        page,
        name="LI carousel - werken bij",
        channel="linkedin",
        format="carousel",
        key="li-carousel",
        ad_key="LI carousel - werken bij",
        hook="Vijf collega's, vijf redenen",
    )
    add_creative(
        page,
        name="LinkedIn tekstadvertentie",
        channel="linkedin",
        format="image",
        key="li-text",
        hook="Zorg in Groningen? Kijk verder dan je afdeling",
    )
    import_export(page, "meta_nl_days.csv", "meta-nl")
    import_export(page, "linkedin_en_periods.csv", "linkedin-en")
    with stack.campaigns.connect() as conn:
        imported = conn.execute(
            sa.text("SELECT count(*) FROM outbox WHERE value LIKE '%SpendRecorded%'")
        ).scalar_one()
    assert imported > 0
    stack.deliver()

    # The funnel per creative shows the candidate's lead and the imported spend.
    page.goto(f"{base}/campaigns/{SLUG}/dashboard")
    funnel = page.locator("table.funnel").first
    video_row = funnel.locator("tr", has_text="Zorgmedewerker video A")
    assert video_row.count() == 1, funnel.inner_text()
    assert "€" in video_row.inner_text()
    shot(page, "dashboard")

    # Work the lead: contacted, interviewed, hired.
    page.goto(f"{base}/leads?campaign={SLUG}")
    assert "Fatima El Amrani" in page.content()
    shot(page, "leads-inbox")
    for outcome in ("contacted", "interviewed", "hired"):
        page.locator(f"button[name=outcome][value={outcome}]").first.click()
        page.wait_for_load_state()
    assert "hired" in page.content().lower()
    shot(page, "lead-hired")
    stack.deliver()
    with stack.campaigns.connect() as conn:
        outcomes = conn.execute(
            sa.text("SELECT value FROM outbox WHERE value LIKE '%LeadOutcomeRecorded%'")
        ).scalars()
        recorded = list(outcomes)
    assert any('"hired"' in v for v in recorded)
    assert not any("Fatima" in v or "23456789" in v for v in recorded)

    # Readable on a phone, too.
    phone_context = chromium.new_context(**PHONE)
    phone_page = phone_context.new_page()
    phone_page.context.add_cookies(page.context.cookies())
    phone_page.goto(f"{base}/campaigns/{SLUG}")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the campaign page scrolls sideways on a phone ({width}px)"
    shot(phone_page, "campaign-phone")
    phone_context.close()
