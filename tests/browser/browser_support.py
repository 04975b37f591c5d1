"""Helpers for the browser tests (a uniquely named module; test folders have no
``__init__.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from koers.db import transaction
from koers.events import (
    CampaignPublished,
    PageSnapshot,
    QuizOption,
    QuizQuestion,
    VariantState,
    new_envelope,
)
from landing.handlers import HANDLERS

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
SLUG = "klantenservice-utrecht"
BLOCKING_IMPACTS = {"serious", "critical"}


def publish_campaign(engine: sa.Engine) -> None:
    """Publish a campaign exactly as the consumer applies one (its handlers)."""
    published = CampaignPublished(
        slug=SLUG,
        name="Klantenservice Utrecht",
        weekly_budget=700,
        page=PageSnapshot(
            version=1,
            employer_name="Acme Zorgverzekeringen",
            headline="Word klantenservicemedewerker in Utrecht",
            intro="Help klanten verder, vanuit ons kantoor of thuis.\n\nGoede begeleiding.",
            primary_colour="#a33100",
            entry_points=("quiz", "lead", "apply"),
            quiz=(
                QuizQuestion(
                    question="Hoeveel uur per week wil je werken?",
                    options=(QuizOption(label="24-32", score=5), QuizOption(label="8", score=1)),
                ),
                QuizQuestion(
                    question="Help je graag mensen?",
                    options=(QuizOption(label="Ja", score=5), QuizOption(label="Nee", score=0)),
                ),
                QuizQuestion(
                    question="Werk je graag met een headset?",
                    options=(
                        QuizOption(label="Ja, prima", score=3),
                        QuizOption(label="Liever niet", score=0),
                    ),
                ),
            ),
            quiz_pass_score=8,
        ),
        variants=(
            VariantState(
                variant_id="v-video",
                name="Video collega",
                channel="tiktok",
                creative_format="video",
                hook="Een dag als klantenheld",
            ),
        ),
    )
    envelope = new_envelope(published, source="campaigns", tenant_id="acme", campaign_id="cmp-1")
    with transaction(engine) as conn:
        for handler in HANDLERS[envelope.type]:
            handler(conn, envelope)


def publish_demo_campaign(engine: sa.Engine) -> None:
    """The demo campaign's page, as the seed publishes it (its long Dutch headline, its
    English translation, its CV-optional apply form)."""
    from campaigns.demo import DEMO_PAGE, DEMO_SLUG

    published = CampaignPublished(
        slug=DEMO_SLUG,
        name="Demo",
        weekly_budget=1000,
        page=PageSnapshot.model_validate({**DEMO_PAGE, "version": 1}),
        variants=(
            VariantState(
                variant_id="instagram",
                name="Reel",
                channel="instagram",
                creative_format="video",
                hook="Werkdag",
            ),
        ),
    )
    envelope = new_envelope(published, source="campaigns", tenant_id="demo", campaign_id="cmp-demo")
    with transaction(engine) as conn:
        for handler in HANDLERS[envelope.type]:
            handler(conn, envelope)


def horizontal_overflow(page: Any) -> list[str]:
    """Elements that reach past the right edge of the viewport (should be none), and
    the document itself when it scrolls sideways."""
    found: list[str] = page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const over = [...document.body.querySelectorAll('*')]
                .filter(el => el.getClientRects().length && !el.closest('.hp, .skip-link'))
                .filter(el => el.getBoundingClientRect().right > width + 0.5)
                .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
            if (document.documentElement.scrollWidth > width) over.unshift('document');
            return over;
        }"""
    )
    return found


def docs_screenshot(page: Any, name: str) -> None:
    """A screenshot for the README (docs/screenshots/landing-*.png), kept in git."""
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_SCREENSHOTS / f"landing-{name}.png"), full_page=True)


def check_accessibility(page: Any, axe_path: Path, state: str) -> None:
    """Run axe-core in the page; no serious or critical violation may remain."""
    page.add_script_tag(path=str(axe_path))
    violations = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(" ")).slice(0, 5),
            }));
        }"""
    )
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert blocking == [], f"axe-core on {state}: {blocking}"


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"landing-{name}.png"), full_page=True)


def every_input_is_labelled(page: Any) -> list[str]:
    """Ids of visible form controls without an accessible label (should be none)."""
    unlabelled: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
            .filter(el => !el.closest('[aria-hidden=true]'))
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map(el => el.id || el.name)"""
    )
    return unlabelled
