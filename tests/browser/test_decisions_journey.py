"""The weekly decision in Chromium: the marketer opens "This week's decisions", asks
analytics for the week's split, edits one amount beyond a guardrail and is refused with
the rule, approves, pushes, downloads the Meta bulk CSV, and finds the decision and the
push on the dashboard and in the audit log.

Campaigns, landing and analytics are the real apps (see console_support). Screenshots of
the decisions page at 1440 and 360 px go to docs/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from console_support import DEMO_PASSWORD, ConsoleStack, console_stack

from campaigns.decisions.domain import planned_week
from campaigns.demo import DEMO_EMAIL, DEMO_SLUG

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
META_AD_SET = "120211000000000042"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[ConsoleStack]:
    with console_stack(tmp_path, today=TODAY, now=NOW) as running:
        yield running


def flash(page: Any) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())


def shoot(chromium: Any, url: str, cookies: list[Any], width: int, name: str) -> None:
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(url)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)
    # Nothing but the tables' own containers may scroll sideways.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
    context.close()


def test_a_marketer_decides_the_week_and_pushes_it(chromium: Any, stack: ConsoleStack) -> None:
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    base = stack.campaigns_url
    week = planned_week(datetime.now(UTC))

    page.goto(f"{base}/login")
    page.get_by_label("E-mail address").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")

    # The Meta creatives' ad sets, so the Meta bulk file has rows to upload.
    page.goto(f"{base}/campaigns/{DEMO_SLUG}/delivery")
    page.fill("#asid-instagram", META_AD_SET)
    page.fill("#asid-facebook", "120211000000000043")
    page.get_by_role("button", name="Save delivery settings").click()
    assert "Delivery settings of" in flash(page)

    # Nothing waits yet: the campaign has no proposal for the planned week.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="This week's decisions"
    ).click()
    assert page.locator("#nothing-waits").is_visible()
    page.get_by_role("button", name="Ask analytics for a proposal").click()
    assert "Analytics proposed a split" in flash(page)
    card = page.locator(f"#c-{DEMO_SLUG}")
    assert "waits for a decision" in card.inner_text()
    assert "Push time: Monday" in card.inner_text()

    # One amount beyond a guardrail: refused, with the rule and by how much.
    amount = card.locator("input.amount").last
    amount.fill("1")
    card.get_by_role("button", name="Approve").click()
    refusal = page.locator(f"#c-{DEMO_SLUG} .refusal").all_inner_texts()
    assert refusal and refusal[0].startswith("Not approved: ")
    joined = " ".join(refusal)
    assert "too low" in joined or "too high" in joined
    assert re.search(r"exploration floor|minimum spend|weekly budget", joined)

    # As proposed: approved, then pushed now.
    page.goto(f"{base}/decisions")
    card = page.locator(f"#c-{DEMO_SLUG}")
    card.get_by_role("button", name="Approve").click()
    assert f"for {week} is approved." in flash(page)
    card = page.locator(f"#c-{DEMO_SLUG}")
    card.get_by_role("button", name="Dry run").click()
    assert "Dry run of" in flash(page)
    page.locator(f"#c-{DEMO_SLUG}").get_by_role("button", name="Push now").click()
    assert re.search(r"Push of .* csv: (sent|partial)", flash(page)), flash(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Meta Ads Manager (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(f"{week}-meta-ads-manager.csv")
    content = Path(download.path()).read_text(encoding="utf-8-sig")
    assert content.startswith("Campaign ID,Ad Set ID,Ad ID")
    assert META_AD_SET in content

    # The dashboard shows the decision; the audit log the decision and the push, by name.
    page.goto(f"{base}/campaigns/{DEMO_SLUG}/dashboard?week={week}")
    assert "approved" in page.locator("#allocation").inner_text()
    page.goto(f"{base}/audit")
    audit = page.locator("table.audit").inner_text()
    assert "allocation approved" in audit and "delivery pushed" in audit
    page.locator("table.audit details").first.click()
    assert "Klantenservicemedewerker Utrecht" in page.locator("table.audit").inner_text()

    cookies = context.cookies()
    shoot(chromium, f"{base}/decisions", cookies, 1440, "decisions-1440.png")
    shoot(chromium, f"{base}/decisions", cookies, 360, "decisions-360.png")
    context.close()
