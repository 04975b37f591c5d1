"""Screenshots of the benchmarks across employers, in Dutch, at 1440 px and 360 px.

The browser tests' stack and demo (``deploy/dev/screenshots.py``), plus what a
benchmark needs that the demo lacks: the demo employer takes part (sector zorg), its
campaign runs in Utrecht with leads, interviews and first contacts, and cells are
published as a weekly refresh leaves them (Instagram and TikTok shown, Facebook and
LinkedIn withheld). Writes ``docs/screenshots/console-dashboard-benchmark-<width>-nl.png``
(the dashboard's panel) and ``console-benchmarks-<width>-nl.png`` (the sector page), and
prints any layout problem the browser tests would fail on.

    .venv/bin/python deploy/dev/benchmark_screenshots.py
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "browser"))  # the stack and screens the tests use
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from console_screens import NOW, TODAY, WIDTHS, layout_problems, log_in, viewport  # noqa: E402
from console_support import ConsoleStack, console_stack  # noqa: E402

from campaigns.benchmarks import repository as benchmarks_repo  # noqa: E402
from campaigns.benchmarks.domain import Cell, CellKey  # noqa: E402
from campaigns.catalog import repository as catalog_repo  # noqa: E402
from campaigns.demo import DEMO_SLUG  # noqa: E402
from koers.db import transaction  # noqa: E402
from koers.events import LeadOutcomeRecorded, new_envelope  # noqa: E402
from tests.unit.campaigns.insight_testkit import (  # noqa: E402
    add_landing_leads,
    apply_to_analytics,
    candidate_events,
)

OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# per creative: visits, leads, interviews
FIGURES = {"facebook": (300, 9, 1), "instagram": (500, 30, 4), "linkedin": (120, 4, 1)}
FIGURES["tiktok"] = (600, 41, 3)


def take_part(stack: ConsoleStack) -> None:
    """The demo employer in the benchmarks, with figures and published cells."""
    from landing.contacts.service import record_contact

    with transaction(stack.campaigns) as conn:
        campaign_id = conn.execute(
            sa.select(catalog_repo.campaigns.c.id).where(catalog_repo.campaigns.c.slug == DEMO_SLUG)
        ).scalar_one()
        campaign = catalog_repo.campaign_by_id(conn, campaign_id)
        assert campaign is not None
        catalog_repo.save_campaign(conn, dataclasses.replace(campaign, target_regions=("utrecht",)))
        benchmarks_repo.save_participation(
            conn, campaign.tenant_id, benchmarks_repo.Participation(True, "zorg"), by="demo", at=NOW
        )

        def key(metric: str, channel: str) -> CellKey:
            return CellKey(metric, "zorg", "utrecht", channel)  # type: ignore[arg-type]

        benchmarks_repo.replace_cells(
            conn,
            [
                Cell(key("cost_per_lead", "instagram"), 7, True, value=24.0, low=18.0, high=31.0),
                Cell(key("interview_rate", "instagram"), 7, True, value=0.14, low=0.09, high=0.19),
                Cell(key("cost_per_lead", "tiktok"), 6, True, value=17.0, low=12.0, high=23.0),
                Cell(key("interview_rate", "tiktok"), 6, True, value=0.09, low=0.05, high=0.13),
                Cell(key("first_contact_hours", "all"), 8, True, value=5.5, low=1.8, high=21.0),
            ],
            weeks_from="2026-W21",
            weeks_to="2026-W47",
            at=NOW,
        )
    where = {"tenant_id": campaign.tenant_id, "campaign_id": campaign_id}
    visited = NOW - timedelta(days=9)
    events = []
    for variant_id, (visits, leads, interviews) in FIGURES.items():
        events += candidate_events(
            **where,
            variant_id=variant_id,
            visited_at=visited,
            visits=visits,
            leads=leads,
            applications=3,
        )
        events += [
            new_envelope(
                LeadOutcomeRecorded(
                    lead_id=str(uuid.uuid4()),
                    variant_id=variant_id,
                    outcome="interviewed",
                    visited_at=visited,
                ),
                source="campaigns",
                occurred_at=visited + timedelta(days=2),
                **where,
            )
            for _ in range(interviews)
        ]
        lead_ids = add_landing_leads(
            stack.landing, **where, variant_id=variant_id, count=min(leads, 8), start=visited
        )
        for n, lead_id in enumerate(lead_ids):
            record_contact(
                stack.landing,
                campaign.tenant_id,
                uuid.UUID(lead_id),
                kind="attempt",
                channel="whatsapp",
                at=visited + timedelta(minutes=n, hours=2 + n * 1.5),
                recruiter_id="demo-recruiter",
            )
    apply_to_analytics(stack.analytics, events)


def main() -> int:
    from playwright.sync_api import sync_playwright

    problems = 0
    with (
        tempfile.TemporaryDirectory() as workdir,
        console_stack(Path(workdir), today=TODAY, now=NOW) as stack,
        sync_playwright() as playwright,
    ):
        take_part(stack)
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for width in WIDTHS:
            context = browser.new_context(**viewport(width))
            page = context.new_page()
            log_in(page, stack.campaigns_url)
            switch = page.locator("#language-nl")
            if switch.count():
                switch.click()
                page.wait_for_load_state()
            for path, selector, name in (
                (f"/campaigns/{DEMO_SLUG}/dashboard", "#benchmarks", "dashboard-benchmark"),
                ("/benchmarks", None, "benchmarks"),
            ):
                page.goto(stack.campaigns_url + path)
                page.wait_for_load_state("networkidle")
                target = OUT / f"console-{name}-{width}-nl.png"
                if selector:
                    page.locator(selector).screenshot(path=str(target))
                else:
                    page.screenshot(path=str(target), full_page=True)
                found = layout_problems(page)  # the panel's own count; the rest is printed
                problems += sum("benchmark" in p for p in found)
                print(f"{target.relative_to(ROOT)}" + "".join(f"\n  ! {p}" for p in found))
            context.close()
        browser.close()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
