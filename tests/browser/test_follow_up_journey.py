"""Issue 16's acceptance, in Chromium: a candidate leaves a WhatsApp number on the demo
page; a recruiter opens the lead, the WhatsApp link carries the employer's message with
the candidate's first name, the attempt is recorded, a reply is marked, and the
campaign's time to first contact and reply rate change accordingly. Erasing the
candidate then removes their contact history.

Campaigns, landing and analytics are the real apps on their own databases. ``wa.me`` is
answered by the test itself (no network): only the URL the browser opens matters.
Screenshots of the follow-up inbox go to docs/screenshots/console-follow-up-<width>.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from browser_support import check_accessibility
from console_screens import NOW, TODAY, WIDTHS, layout_problems, log_in, viewport
from console_support import ConsoleStack, console_stack

from campaigns.demo import DEMO_SLUG

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
DOCS_SHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[ConsoleStack]:
    with console_stack(tmp_path, today=TODAY, now=NOW) as running:
        yield running


def leave_whatsapp_lead(chromium: Any, stack: ConsoleStack) -> None:
    context = chromium.new_context(**viewport(360))
    candidate = context.new_page()
    candidate.goto(f"{stack.landing_url}/j/{DEMO_SLUG}")
    candidate.locator("a[data-entry=lead]").click()
    candidate.get_by_label("Naam").fill("Sanne Bakker")
    candidate.get_by_label("Telefoonnummer").fill("06 34567890")
    candidate.get_by_label("WhatsApp").check()
    candidate.locator("#consent").check()
    candidate.get_by_role("button", name="Verstuur").click()
    candidate.wait_for_url(re.compile(r"/thanks\?"))
    context.close()


def speed(page: Any) -> tuple[str, str]:
    return (
        page.locator(".speed-median").inner_text().strip(),
        page.locator(".speed-reply-rate").inner_text().strip(),
    )


def test_a_recruiter_contacts_a_whatsapp_lead_and_marks_the_reply(
    chromium: Any, stack: ConsoleStack, axe_source: Path
) -> None:
    leave_whatsapp_lead(chromium, stack)
    context = chromium.new_context(**viewport(1440))  # the console's own CSP applies
    opened: list[str] = []
    # Playwright routes only the first request of a redirect chain, so the chat the
    # console redirects to is seen as a request (it goes nowhere: no network here).
    context.on(
        "request", lambda r: opened.append(r.url) if r.url.startswith("https://wa.me/") else None
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    base = stack.campaigns_url
    log_in(page, base)
    inbox = f"{base}/leads?campaign={DEMO_SLUG}"
    page.goto(inbox)
    card = page.locator(".card.lead", has_text="Sanne Bakker")
    assert "Hoi Sanne, bedankt voor je interesse" in card.locator(".message-preview").inner_text()
    assert card.locator(".after-reply").inner_text() == "after a reply"
    assert speed(page) == ("\N{EM DASH}", "\N{EM DASH}")

    with page.expect_popup() as popup:
        card.get_by_role("button", name="WhatsApp").click()
    chat = popup.value
    chat.wait_for_load_state()
    assert len(opened) == 1
    url = urlsplit(opened[0])
    assert (url.netloc, url.path) == ("wa.me", "/31634567890")
    assert parse_qs(url.query)["text"][0].startswith("Hoi Sanne, bedankt voor je interesse")
    chat.close()

    page.goto(inbox)
    card = page.locator(".card.lead", has_text="Sanne Bakker")
    assert "Contacted by WhatsApp" in card.locator(".contact-history").inner_text()
    median, rate = speed(page)
    assert re.fullmatch(r"\d+ min", median), median  # seconds after the lead came in
    assert rate == "0% (0 of 1)"

    card.get_by_label("The candidate replied by").select_option("whatsapp")
    card.get_by_role("button", name="Mark reply").click()
    page.wait_for_load_state()
    assert "Marked the reply of Sanne Bakker by WhatsApp." in page.locator(".flash").inner_text()
    assert speed(page) == (median, "100% (1 of 1)")
    assert page.locator("table.reply-rates tr", has_text="WhatsApp").inner_text().split() == [
        "WhatsApp",
        "1",
        "1",
        "100%",
    ]
    for width in WIDTHS:
        # CSP bypassed only so axe-core can be injected (the journey keeps the real one).
        looking = chromium.new_context(**viewport(width), bypass_csp=True)
        looking.add_cookies(context.cookies())
        view = looking.new_page()
        view.goto(inbox)
        assert layout_problems(view) == [], width
        check_accessibility(view, axe_source, f"follow-up inbox at {width}px")
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        view.screenshot(path=str(DOCS_SHOTS / f"console-follow-up-{width}.png"), full_page=True)
        looking.close()

    # Analytics counts the reached candidate; no event names her.
    stack.deliver()
    with stack.analytics.connect() as conn:
        reached = conn.execute(sa.text("SELECT sum(reached) FROM weekly_funnel")).scalar_one()
    with stack.campaigns.connect() as conn:
        events = list(
            conn.execute(
                sa.text(
                    "SELECT value FROM outbox WHERE value LIKE '%\"LeadContacted\"%' "
                    "OR value LIKE '%\"LeadReplied\"%'"
                )
            ).scalars()
        )
    assert reached == 1
    assert len(events) == 2
    assert not any("Sanne" in v or "34567890" in v or "bedankt" in v for v in events)

    # Erasing the candidate takes the contact history with her.
    page.goto(inbox)
    page.locator(".card.lead", has_text="Sanne Bakker").get_by_role(
        "link", name="Erase on request…"
    ).click()
    page.locator("input[name=confirm]").check()
    page.get_by_role("button", name=re.compile("Erase")).click()
    page.wait_for_load_state()
    with stack.landing.connect() as conn:
        history = conn.execute(sa.text("SELECT count(*) FROM lead_contacts")).scalar_one()
    assert history == 0
    assert "Sanne Bakker" not in page.content()
    context.close()
