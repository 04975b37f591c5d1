"""An agency adds a second employer and works for it through the console alone, in
Chromium: add it (a mistake first), invite a colleague there, set up a campaign, see
none of the first employer's campaigns, switch back from the navigation, and open the
new one again from the overview of every employer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from console_screens import layout_problems, log_in, viewport
from console_support import ConsoleStack, console_stack

from campaigns.demo import DEMO_CAMPAIGN, DEMO_TENANT

pytestmark = pytest.mark.browser

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
NEW_EMPLOYER = "Bakkerij Jansen"
NEW_CAMPAIGN = "Broodbakker Utrecht"
DEMO_CAMPAIGN_NAME = str(DEMO_CAMPAIGN["name"])


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[ConsoleStack]:
    with console_stack(tmp_path, today=TODAY, now=NOW) as running:
        yield running


@pytest.fixture
def console(chromium: Any, stack: ConsoleStack) -> Iterator[Any]:
    context = chromium.new_context(**viewport(1440))
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def flash(page: Any) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())


def campaign_names(page: Any) -> list[str]:
    names: list[str] = page.locator(".campaign-name").all_inner_texts()
    return names


def current_employer(page: Any) -> str:
    switcher = page.locator("#tenant-switch")
    if switcher.count():
        selected: str = switcher.locator("option:checked").inner_text()
        return selected
    name: str = page.locator(".employer-bar .tenant").inner_text()
    return name


def test_an_agency_adds_a_second_employer_and_works_for_it(
    console: Any, stack: ConsoleStack
) -> None:
    page, base = console, stack.campaigns_url
    log_in(page, base)
    assert current_employer(page) == DEMO_TENANT
    assert DEMO_CAMPAIGN_NAME in campaign_names(page)

    # Add the employer from the overview; an empty name is refused next to its field.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Employers").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your employers"
    page.get_by_role("link", name="Add an employer").click()
    page.get_by_role("button", name="Add employer").click()
    assert "name" in page.locator("#e-name").inner_text()
    page.get_by_label("Employer name").fill(NEW_EMPLOYER)
    page.get_by_role("button", name="Add employer").click()
    assert f"{NEW_EMPLOYER} is added and you are its owner" in flash(page)
    assert current_employer(page) == f"{NEW_EMPLOYER} (owner)"

    # Invite a colleague to this employer, with a role.
    page.fill("#f-email", "planner@bakkerij-jansen.example")
    page.select_option("#f-role", "marketer")
    page.get_by_role("button", name="Make invitation").click()
    assert "/invite/" in page.locator(".invite-link code").inner_text()

    # The new employer starts empty: the first employer's campaign is not there.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
    assert campaign_names(page) == []
    assert f"no campaigns for {NEW_EMPLOYER} yet" in page.locator("main").inner_text()
    page.get_by_role("link", name="Set up the first campaign").click()
    page.fill("#f-name", NEW_CAMPAIGN)
    page.fill("#f-slug", "broodbakker-utrecht")
    page.fill("#f-vacancy_title", "Broodbakker (32-40 uur)")
    page.fill("#f-weekly_budget", "400")
    page.get_by_role("button", name="Create campaign").click()
    assert f"Campaign “{NEW_CAMPAIGN}” created." in flash(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
    assert campaign_names(page) == [NEW_CAMPAIGN]
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    audit = page.locator("main").inner_text()
    assert NEW_CAMPAIGN in audit and DEMO_CAMPAIGN_NAME not in audit

    # Back to the first employer with the switcher in the top bar.
    page.locator("#tenant-switch").select_option(label=f"{DEMO_TENANT} (owner)")
    page.get_by_role("button", name="Switch").click()
    assert f"You are now working for {DEMO_TENANT}." in flash(page)
    assert current_employer(page) == f"{DEMO_TENANT} (owner)"
    assert DEMO_CAMPAIGN_NAME in campaign_names(page)
    assert NEW_CAMPAIGN not in campaign_names(page)

    # The overview shows both, each with its live campaigns, and opens the other one.
    page.get_by_role("link", name="All employers").click()
    cards = page.locator(".employer")
    assert cards.count() == 2
    assert cards.nth(0).locator("h2").inner_text() == DEMO_TENANT  # the one worked for
    assert DEMO_CAMPAIGN_NAME in cards.nth(0).inner_text()
    assert cards.nth(1).locator("h2").inner_text() == NEW_EMPLOYER
    assert "0 live campaigns" in cards.nth(1).inner_text()  # a draft is not live yet
    assert layout_problems(page) == []
    page.get_by_role("button", name=f"Work for {NEW_EMPLOYER}").click()
    assert current_employer(page) == f"{NEW_EMPLOYER} (owner)"
    assert campaign_names(page) == [NEW_CAMPAIGN]


def test_the_switcher_and_overview_fit_a_phone(chromium: Any, stack: ConsoleStack) -> None:
    context = chromium.new_context(**viewport(360))
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, stack.campaigns_url)
        page.goto(f"{stack.campaigns_url}/employers/new")
        page.get_by_label("Employer name").fill("Installatiebedrijf Van der Heijden-Oosterwijk")
        page.get_by_role("button", name="Add employer").click()
        for path in ("/", "/employers", "/employers/new", "/settings"):
            page.goto(f"{stack.campaigns_url}{path}")
            assert page.locator("#tenant-switch").is_visible(), path
            assert layout_problems(page) == [], path
            nav = page.get_by_role("navigation", name="Main")
            for name in ("Campaigns", "Leads", "Insights", "Audit log", "Settings", "Employers"):
                link = nav.get_by_role("link", name=name, exact=True)
                assert link.is_visible(), (path, name)
    finally:
        context.close()
