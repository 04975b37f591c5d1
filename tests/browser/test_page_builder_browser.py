"""The page builder you can trust, in Chromium at 1440 px and on a 360 px phone.

Acceptance of issue 17, item 1: the demo page loaded, saved unchanged and published
leaves the live landing page byte for byte the same (only the per-visit token in its
links differs from request to request); a changed field shows in the Dutch review
before anything goes live; and the preview is landing's own HTML for the draft, equal to
the live page for the same content. Campaigns, landing and analytics are the real apps
(tests/browser/console_support.py). Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_screens import NOW, TODAY, layout_problems, log_in, viewport
from console_support import ConsoleStack, console_stack

from campaigns.demo import DEMO_SLUG
from landing.config import Settings as LandingSettings
from tests.support import loopback

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
VISIT_TOKEN = re.compile(r"visit=[A-Za-z0-9_.~%-]+")
CACHE_SECONDS = LandingSettings.model_fields["page_cache_seconds"].default
"""How long landing may keep showing the page it read before (see landing/pages/cache.py)."""


def normalised(html: str) -> str:
    """The live page without its per-request part: the signed visit token."""
    return VISIT_TOKEN.sub("visit=TOKEN", html)


def live_pages(stack: ConsoleStack) -> dict[str, str]:
    """The live landing page's HTML in both languages, as a candidate's browser gets it."""
    url = f"{stack.landing_url}/j/{DEMO_SLUG}"
    pages = {}
    for language in ("nl", "en"):
        response = loopback.get(url, params={"lang": language}, timeout=10)
        assert response.status_code == 200
        pages[language] = response.text
    return pages


def delivered_and_fresh(stack: ConsoleStack) -> None:
    """Landing has applied what the console published and no longer shows a cached page."""
    assert stack.deliver() >= 1
    time.sleep(CACHE_SECONDS + 0.5)


def flash(page: Any) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())


def shot(page: Any, name: str, width: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"page-builder-{name}-{width}.png"), full_page=True)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[ConsoleStack]:
    with console_stack(tmp_path, today=TODAY, now=NOW) as running:
        yield running


@pytest.mark.parametrize("width", [1440, 360])
def test_the_page_builder_round_trip_leaves_the_live_page_byte_identical(
    chromium: Any, stack: ConsoleStack, width: int
) -> None:
    before = live_pages(stack)
    assert "Help customers from Utrecht" in before["en"]  # the English version is live
    context = chromium.new_context(**viewport(width))
    page = context.new_page()
    page.set_default_timeout(15_000)
    base = stack.campaigns_url
    log_in(page, base)

    # The builder loads what is live: both languages, every contact option, the
    # English texts open beside the Dutch ones.
    page.goto(f"{base}/campaigns/{DEMO_SLUG}/page")
    for language in ("nl", "en"):
        assert page.locator(f"input[name=languages][value={language}]").is_checked()
    for channel in ("whatsapp", "phone", "email", "linkedin"):
        assert page.locator(f"input[name=contact_channels][value={channel}]").is_checked()
    assert page.locator("#f-tr_headline").is_visible()
    assert page.locator("#f-tr_q0_question").input_value() == (
        "How do you like to help someone best?"
    )
    assert layout_problems(page) == []
    shot(page, "builder", width)

    page.get_by_role("button", name="Save draft").click()
    assert "Page draft saved" in flash(page)
    page.get_by_role("link", name="Publish page…").click()
    assert page.locator("#no-changes").is_visible()
    assert layout_problems(page) == []
    page.get_by_role("button", name="Publish again anyway").click()
    assert "Page version 2 is published and live." in flash(page)
    delivered_and_fresh(stack)
    after = live_pages(stack)
    for language in ("nl", "en"):
        assert normalised(after[language]) == normalised(before[language])

    # A changed field shows in the review, and nothing changes before the confirmation.
    page.goto(f"{base}/campaigns/{DEMO_SLUG}/page")
    page.fill("#f-headline", "Word klantenservicemedewerker in Utrecht")
    page.uncheck("input[name=contact_channels][value=linkedin]")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("link", name="Publish page…").click()
    rows = page.locator("table.page-changes tbody tr")
    assert rows.count() == 2
    headline = rows.filter(has_text="Kop")
    assert "Word klantenservicemedewerker in Utrecht" in headline.inner_text()
    assert "Help klanten verder vanuit Utrecht" in headline.inner_text()
    assert "LinkedIn" in rows.filter(has_text="Contactmogelijkheden").inner_text()
    assert layout_problems(page) == []
    shot(page, "review", width)
    stack.deliver()  # whatever the console announced so far reaches landing
    time.sleep(CACHE_SECONDS + 0.5)
    unconfirmed = live_pages(stack)["nl"].replace("\u00ad", "")
    assert "Word klantenservicemedewerker in Utrecht" not in unconfirmed

    # The preview is landing's own page for the draft: the same HTML the live page
    # will be, laid out the same.
    page.goto(f"{base}/campaigns/{DEMO_SLUG}/page/preview")
    frame = page.frame_locator("iframe.preview-frame")
    assert frame.locator("h1").inner_text().replace("\u00ad", "") == (
        "Word klantenservicemedewerker in Utrecht"
    )
    assert layout_problems(page) == []
    shot(page, "preview", width)
    preview_html = page.request.get(f"{base}/campaigns/{DEMO_SLUG}/page/preview/frame?lang=nl")
    assert preview_html.ok
    framed = preview_html.text()
    assert f'<base href="{stack.landing_url}/">' in framed
    preview = framed.replace(f'\n<base href="{stack.landing_url}/">', "", 1)

    page.goto(f"{base}/campaigns/{DEMO_SLUG}/page/publish")
    page.get_by_role("button", name="Confirm and publish").click()
    assert "Page version 3 is published and live." in flash(page)
    delivered_and_fresh(stack)
    live = live_pages(stack)["nl"]
    assert "Word klantenservicemedewerker in Utrecht" in live.replace("\u00ad", "")
    assert normalised(preview) == normalised(live)

    # Laid out alike: the preview frame and a candidate's phone of the frame's width
    # show the same colours and sizes.
    page.goto(f"{base}/campaigns/{DEMO_SLUG}/page/preview?lang=nl")
    frame_width = page.locator("iframe.preview-frame").evaluate("el => el.clientWidth")
    phone = chromium.new_context(
        **{**viewport(360), "viewport": {"width": frame_width, "height": 760}}
    )
    candidate = phone.new_page()
    candidate.goto(f"{stack.landing_url}/j/{DEMO_SLUG}?lang=nl")
    style = (
        "el => { const s = getComputedStyle(el);"
        " return [s.backgroundColor, s.color, s.fontSize, s.width].join(' '); }"
    )
    for selector in ("header.site-header", "h1", "a.button-lead", "a.button-quiz"):
        in_frame = frame.locator(selector).evaluate(style)
        assert in_frame == candidate.locator(selector).evaluate(style), selector
    # the demo's #00796b, from landing's stylesheet and the draft's theme
    assert "rgb(0, 121, 107)" in frame.locator("header.site-header").evaluate(style)
    phone.close()
    context.close()
