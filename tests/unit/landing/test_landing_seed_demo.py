"""``koers-landing seed-demo``: simulated journeys for the demo campaign, written once."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from landing_support import apply_event, campaign, outbox
from typer.testing import CliRunner

from landing import demo
from landing.cli import app
from landing.pages.repository import find_page_by_slug
from landing.submissions.repository import leads, quiz_results

pytestmark = pytest.mark.unit

TODAY = date(2025, 3, 12)  # a Wednesday in ISO week 11


@pytest.fixture
def demo_page(engine: sa.Engine) -> demo.PublishedPage:
    apply_event(engine, campaign(slug=demo.DEMO_SLUG), campaign_id="cmp-demo")
    with engine.connect() as conn:
        page = find_page_by_slug(conn, demo.DEMO_SLUG)
    assert page is not None
    return page


def test_seed_demo_writes_synthetic_journeys_once(
    engine: sa.Engine, demo_page: demo.PublishedPage
) -> None:
    first = demo.seed_demo(engine, demo_page, weeks=4, today=TODAY, seed=7)
    events_after_first = len(outbox(engine))
    second = demo.seed_demo(engine, demo_page, weeks=4, today=TODAY, seed=8)

    assert not first.already_seeded
    assert second.already_seeded
    assert "already seeded" in second.line()
    assert len(outbox(engine)) == events_after_first == first.events
    with engine.connect() as conn:
        stored = conn.execute(sa.select(leads)).all()
        assert len(conn.execute(sa.select(quiz_results)).all()) == first.quiz_results
    assert len(stored) == first.leads > 0
    assert all(lead.is_demo for lead in stored)
    assert all(lead.name.startswith("Demo kandidaat ") for lead in stored)
    assert all(lead.email.endswith("@example.invalid") for lead in stored)


def test_seeded_events_fall_in_the_past_weeks_and_variants_convert_differently(
    engine: sa.Engine, demo_page: demo.PublishedPage
) -> None:
    summary = demo.seed_demo(engine, demo_page, weeks=4, today=TODAY, seed=7)

    events = outbox(engine)
    start = datetime(2025, 2, 10, tzinfo=UTC)  # Monday of ISO week 7
    end = datetime(2025, 3, 10, tzinfo=UTC)  # Monday of ISO week 11
    for event in events:
        occurred = datetime.fromisoformat(event["occurred_at"])
        visited = datetime.fromisoformat(event["payload"]["visited_at"])
        assert start <= visited <= occurred < end
        assert event["source"] == "landing"
        assert event["campaign_id"] == "cmp-demo"
    types = Counter(e["type"] for e in events)
    assert set(types) == {"PageViewed", "EntryStarted", "QuizCompleted", "LeadSubmitted"}
    assert types["PageViewed"] == summary.visits
    assert 4 * 2 * 200 <= summary.visits <= 4 * 2 * 400
    views = Counter(e["payload"]["variant_id"] for e in events if e["type"] == "PageViewed")
    submitted = Counter(e["payload"]["variant_id"] for e in events if e["type"] == "LeadSubmitted")
    rates = {v: submitted[v] / views[v] for v in views}
    assert rates["v-video"] > 1.5 * rates["v-image"]
    assert "Demo kandidaat" not in json.dumps(events)


def test_the_same_seed_gives_the_same_data(
    engine: sa.Engine, demo_page: demo.PublishedPage
) -> None:
    summary = demo.seed_demo(engine, demo_page, weeks=2, today=TODAY, seed=3)
    ids = sorted(e["event_id"] for e in outbox(engine))
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM outbox"))
        conn.execute(sa.delete(leads))
        conn.execute(sa.delete(quiz_results))

    again = demo.seed_demo(engine, demo_page, weeks=2, today=TODAY, seed=3)

    assert again == summary
    assert sorted(e["event_id"] for e in outbox(engine)) == ids


def test_cli_waits_for_the_page_and_seeds_it_once(
    database_url: str, demo_page: demo.PublishedPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOERS_LANDING_DATABASE_URL", database_url)
    runner = CliRunner()

    first = runner.invoke(app, ["seed-demo", "--wait-seconds", "5", "--weeks", "1"])
    second = runner.invoke(app, ["seed-demo", "--wait-seconds", "5", "--weeks", "1"])

    assert first.exit_code == 0, first.output
    assert "seeded 1 week(s) x 2 variant(s)" in first.output
    assert second.exit_code == 0
    assert "already seeded" in second.output


def test_cli_gives_up_with_a_clear_message_when_the_page_never_arrives(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOERS_LANDING_DATABASE_URL", database_url)

    result = CliRunner().invoke(app, ["seed-demo", "--wait-seconds", "0"])

    assert result.exit_code == 1
    assert "did not arrive" in result.output
    assert "koers-landing consume" in result.output
