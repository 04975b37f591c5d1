"""The console's main screens on the demo data, for the layout test and the screenshots.

:func:`open_screen` brings a logged-in page to one screen; :func:`layout_problems` says
what a person would notice is broken there (the page wider than the window, a table
wider than its scrolling wrapper's column). ``deploy/dev/screenshots.py`` and
``test_console_layout.py`` share them, so the pictures in ``docs/screenshots`` show
exactly what the test checks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from console_support import DEMO_PASSWORD

from campaigns.demo import DEMO_EMAIL, DEMO_SLUG, DEMO_TENANT

ROOT = Path(__file__).resolve().parents[2]
SPEND_EXPORT = ROOT / "tests" / "fixtures" / "spend" / "meta_nl_days.csv"
TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
WIDTHS = (1440, 360)


def viewport(width: int) -> dict[str, Any]:
    """A laptop at 1440 px or a phone at 360 px (touch, mobile layout)."""
    if width >= 1024:
        return {"viewport": {"width": width, "height": 900}, "locale": "en-GB"}
    return {
        "viewport": {"width": width, "height": 780},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
        "locale": "nl-NL",
    }


def log_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    # By id: before logging in the page follows the browser's language (nl-NL on the phone).
    page.locator("#email").fill(DEMO_EMAIL)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_load_state()
    if "/employer" in page.url:  # the demo user works for several employers: choose
        page.get_by_role("button", name=DEMO_TENANT).click()
    page.wait_for_url(f"{base}/")


def _goto(path: str) -> Callable[[Any, str], None]:
    def go(page: Any, base: str) -> None:
        page.goto(f"{base}{path}")

    return go


def _import_preview(page: Any, base: str) -> None:
    page.goto(f"{base}/campaigns/{DEMO_SLUG}/spend-imports")
    page.set_input_files("#spend-file", str(SPEND_EXPORT))
    # By the form, not the button's text: the screens are taken in Dutch too.
    page.locator("form:has(#spend-file) button[type=submit]").click()
    page.wait_for_load_state()


MEMO_WEEK = "2026-W48"  # the week of TODAY: the demo's history ends just before it


def _with_proposal(path: str) -> Callable[[Any, str], None]:
    """``path`` once the weekly job (the jobs page's "Run now") planned MEMO_WEEK: the
    memo tells what is stored, as the job stores it."""

    def go(page: Any, base: str) -> None:
        page.goto(f"{base}/memo?week={MEMO_WEEK}")
        if "Geen voorstellen" in page.locator("#memo-headline").inner_text():
            page.goto(f"{base}/jobs")
            page.locator("form.run-now").first.locator("input[name=week]").fill(MEMO_WEEK)
            with page.expect_navigation():
                page.locator("form.run-now").first.locator("button[type=submit]").click()
            for _ in range(60):  # the embedded scheduler runs it in its own thread
                page.goto(f"{base}/memo?week={MEMO_WEEK}")
                if "Geen voorstellen" not in page.locator("#memo-headline").inner_text():
                    break
                page.wait_for_timeout(500)
        page.goto(f"{base}{path}")

    return go


SECOND_EMPLOYER = "Bakkerij Jansen"


def _employers(page: Any, base: str) -> None:
    """The overview, once the demo user works for a second employer (added through the
    console the first time); the demo employer stays the one worked for."""
    page.goto(f"{base}/employers")
    if page.locator("#tenant-switch").count() == 0:
        page.goto(f"{base}/employers/new")
        # By id and form, not by text: the screens are taken in Dutch too.
        page.locator("#f-name").fill(SECOND_EMPLOYER)
        page.locator("form:has(#f-name) button[type=submit]").click()
        page.wait_for_load_state()
        demo = page.locator("#tenant-switch option", has_text=DEMO_TENANT).get_attribute("value")
        page.locator("#tenant-switch").select_option(value=demo)
        page.locator("form.switcher button[type=submit]").click()
        page.wait_for_load_state()
        page.goto(f"{base}/employers")


def _page_preview(page: Any, base: str) -> None:
    page.goto(f"{base}/campaigns/{DEMO_SLUG}/page/preview")
    page.frame_locator("iframe.preview-frame").locator("h1").wait_for()


def _page_publish(page: Any, base: str) -> None:
    """The review before publishing, with two fields changed in the builder."""
    page.goto(f"{base}/campaigns/{DEMO_SLUG}/page")
    page.fill("#f-headline", "Word klantenservicemedewerker in Utrecht")
    page.uncheck("input[name=contact_channels][value=linkedin]")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    page.goto(f"{base}/campaigns/{DEMO_SLUG}/page/publish")


SCREENS: dict[str, Callable[[Any, str], None]] = {
    "campaigns": _goto("/"),
    "campaign": _goto(f"/campaigns/{DEMO_SLUG}"),
    "page-builder": _goto(f"/campaigns/{DEMO_SLUG}/page"),
    "page-preview": _page_preview,
    "page-publish": _page_publish,
    "dashboard": _goto(f"/campaigns/{DEMO_SLUG}/dashboard"),
    "decisions": _goto("/decisions"),
    "leads": _goto("/leads"),
    "follow-up-settings": _goto("/leads/settings"),
    "audit": _goto("/audit"),
    "organic": _goto(f"/campaigns/{DEMO_SLUG}/organic"),
    "jobs": _goto("/jobs"),
    "import-preview": _import_preview,
    "memo": _with_proposal(f"/memo?week={MEMO_WEEK}"),
    "memo-email": _with_proposal(f"/memo/email?week={MEMO_WEEK}"),
    "insights": _goto("/insights"),
    "insights-by-region": _goto("/insights?group=region"),
    "campaign-edit": _goto(f"/campaigns/{DEMO_SLUG}/edit"),
    "employer-new": _goto("/employers/new"),
    "employers": _employers,
}


def open_screen(page: Any, base: str, screen: str) -> None:
    SCREENS[screen](page, base)
    page.wait_for_load_state("load")
    # Chart images are lazy: scroll them into view so screenshots show them drawn.
    for image in page.locator("img").all():
        image.scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_load_state("networkidle")


LAYOUT_PROBLEMS = """() => {
    const problems = [];
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > width + 1) {
        const wide = document.documentElement.scrollWidth;
        problems.push(`the page is ${wide}px wide in a ${width}px window`);
    }
    const classes = (el) => typeof el.className === "string" && el.className.trim()
        ? "." + el.className.trim().split(/\\s+/).join(".") : "";
    const describe = (el) => el.tagName.toLowerCase() + (el.id ? `#${el.id}` : "") + classes(el);
    // Anything sticking out to the right of the window, outside a scrolling table wrapper.
    for (const el of document.querySelectorAll("body *")) {
        if (el.closest(".table-wrap, .visually-hidden, details:not([open])")) continue;
        const box = el.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        if (box.right > width + 1) {
            problems.push(`${describe(el)} ends at ${Math.round(box.right)}px`);
        }
    }
    // On a laptop a table fits its column: scrolling sideways is for phones.
    if (width >= 1024) {
        for (const wrap of document.querySelectorAll(".table-wrap")) {
            if (wrap.closest("details:not([open])")) continue;
            if (wrap.scrollWidth > wrap.clientWidth + 1) {
                const table = wrap.querySelector("table");
                problems.push(`${table ? describe(table) : "a table"} scrolls at ${width}px`);
            }
        }
    }
    // A table wrapper that is itself wider than the column it sits in.
    for (const wrap of document.querySelectorAll(".table-wrap")) {
        const parent = wrap.parentElement.getBoundingClientRect();
        const box = wrap.getBoundingClientRect();
        if (box.right > parent.right + 1) {
            problems.push(`a table wrapper in ${describe(wrap.parentElement)} overflows it`);
        }
    }
    return problems.slice(0, 10);
}"""


def layout_problems(page: Any) -> list[str]:
    """What sticks out of the window or out of its column, as sentences."""
    problems: list[str] = page.evaluate(LAYOUT_PROBLEMS)
    return problems
