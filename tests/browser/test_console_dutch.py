"""The console in Dutch, in Chromium: the switch in the navigation, and every main screen
at 1440 px and on a 360 px phone without overflow or axe-core violations.

Dutch words are longer than English ones ("Sollicitaties", "Advertentieplatforms"), so
the layout is checked again in Dutch rather than assumed from the English run. The
module has its own stack: switching the demo account's language must not change what
the English layout tests read.
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

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStack]:
    with console_stack(tmp_path_factory.mktemp("console-dutch"), today=TODAY, now=NOW) as s:
        yield s


def _main_navigation(page: Any) -> list[str]:
    return [text.strip() for text in page.locator("nav.mainnav a").all_inner_texts()]


def test_the_switch_turns_the_console_dutch_and_back(chromium: Any, stack: ConsoleStack) -> None:
    context = chromium.new_context(**viewport(1440))
    page = context.new_page()
    log_in(page, stack.campaigns_url)
    assert page.locator("html").get_attribute("lang") == "en"
    assert "This week's decisions" in _main_navigation(page)

    page.goto(f"{stack.campaigns_url}/audit")
    page.locator("#language-nl").click()
    page.wait_for_load_state()
    assert page.url.endswith("/audit"), "the switch returns to the page it was used on"
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_role("heading", level=1).inner_text() == "Logboek"
    assert "Beslissingen deze week" in _main_navigation(page)

    page.locator("#language-en").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Audit log"
    page.locator("#language-nl").click()  # Dutch for the layout checks below
    page.wait_for_load_state()
    context.close()


@pytest.fixture(scope="module", params=WIDTHS, ids=lambda width: f"{width}px")
def dutch(request: pytest.FixtureRequest, chromium: Any, stack: ConsoleStack) -> Iterator[Any]:
    context = chromium.new_context(**viewport(request.param), bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, stack.campaigns_url)
    switch = page.locator("#language-nl")
    if switch.count():  # when the switch test above did not run first
        switch.click()
        page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "nl"
    yield page
    context.close()


@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_screen_fits_in_dutch_and_passes_axe(
    screen: str, dutch: Any, stack: ConsoleStack, axe_source: Path
) -> None:
    open_screen(dutch, stack.campaigns_url, screen)

    assert dutch.locator("html").get_attribute("lang") == "nl"
    assert layout_problems(dutch) == []
    check_accessibility(dutch, axe_source, f"console {screen} (nl)")
