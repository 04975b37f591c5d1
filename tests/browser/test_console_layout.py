"""The console's main screens at 1440 px and on a 360 px phone, in Chromium, on the demo.

Nothing may stick out of the window (tables scroll inside their own wrapper), axe-core
finds no serious or critical violation (colour contrast of every button included), the
navigation reaches the leads inbox, and the audit log names what changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import check_accessibility
from console_screens import (
    NOW,
    SCREENS,
    TODAY,
    WIDTHS,
    layout_problems,
    log_in,
    open_screen,
    viewport,
)
from console_support import ConsoleStack, console_stack

from campaigns.demo import DEMO_SLUG

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStack]:
    with console_stack(tmp_path_factory.mktemp("console-layout"), today=TODAY, now=NOW) as s:
        yield s


@pytest.fixture(scope="module", params=WIDTHS, ids=lambda width: f"{width}px")
def logged_in(request: pytest.FixtureRequest, chromium: Any, stack: ConsoleStack) -> Iterator[Any]:
    context = chromium.new_context(**viewport(request.param), bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, stack.campaigns_url)
    yield page
    context.close()


@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_screen_fits_the_window_and_passes_axe(
    screen: str, logged_in: Any, stack: ConsoleStack, axe_source: Path
) -> None:
    open_screen(logged_in, stack.campaigns_url, screen)

    assert layout_problems(logged_in) == []
    check_accessibility(logged_in, axe_source, f"console {screen}")


def test_the_navigation_reaches_every_area(logged_in: Any, stack: ConsoleStack) -> None:
    logged_in.goto(f"{stack.campaigns_url}/")
    nav = logged_in.get_by_role("navigation", name="Main")
    for name in ("Campaigns", "This week's decisions", "Leads", "Audit log", "Settings"):
        assert nav.get_by_role("link", name=name).count() == 1, name
    nav.get_by_role("link", name="Leads").click()
    assert logged_in.get_by_role("heading", level=1).inner_text() == "Leads"


def test_the_audit_log_names_the_campaign_not_its_id(logged_in: Any, stack: ConsoleStack) -> None:
    logged_in.goto(f"{stack.campaigns_url}/campaigns/{DEMO_SLUG}")
    name = logged_in.locator("h1").evaluate("h => h.firstChild.textContent.trim()")
    logged_in.goto(f"{stack.campaigns_url}/audit")
    objects = logged_in.locator("table.audit td.object").all_inner_texts()
    assert objects and all(name in text for text in objects), (name, objects)


def test_the_reject_button_reads_white_on_red(logged_in: Any, stack: ConsoleStack) -> None:
    """The Reject button once had its background's colour as its text's colour, where the
    dashboard's stylesheet and the console's both styled it."""
    logged_in.goto(f"{stack.campaigns_url}/campaigns/{DEMO_SLUG}/dashboard")
    colours = logged_in.evaluate(
        """() => {
            const button = document.createElement("button");
            button.className = "danger";
            button.textContent = "Reject";
            document.querySelector("main").append(button);
            const style = getComputedStyle(button);
            return [style.color, style.backgroundColor];
        }"""
    )
    assert colours[0] != colours[1]
    assert colours[0] == "rgb(255, 255, 255)"
