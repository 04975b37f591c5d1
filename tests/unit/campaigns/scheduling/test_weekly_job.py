"""The weekly job: every live campaign of every tenant planned, recorded here, audited as
the weekly job's; idempotent; one campaign's trouble leaves the others alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from scheduling_testkit import FakeProposals, Scene, build_scene, table_rows
from sqlalchemy import Engine

from campaigns.demo import DEMO_VARIANTS
from campaigns.handlers import store_allocation_proposal
from campaigns.scheduling.weekly import JOB_ACTOR, WeeklyJobFailed, run_weekly_job
from koers.db import transaction
from koers.events import AllocationProposed, new_envelope
from tests.support import campaigns_db as repo

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday in 2026-W48
WEEK = "2026-W48"


@pytest.fixture
def scene(engine: Engine) -> Scene:
    return build_scene(engine, NOW)


@pytest.fixture
def analytics() -> FakeProposals:
    return FakeProposals()


def run(engine: Engine, analytics: FakeProposals, week: str = WEEK, **kwargs: object):  # type: ignore[no-untyped-def]
    return run_weekly_job(
        week, engine=engine, analytics_client=analytics, clock=lambda: NOW, **kwargs
    )  # type: ignore[arg-type]


def job_audit(engine: Engine) -> list[sa.Row[object]]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(repo.audit_log)
                .where(repo.audit_log.c.actor == JOB_ACTOR)
                .order_by(repo.audit_log.c.id)
            )
        )


def test_every_live_campaign_of_every_tenant_gets_its_proposal_recorded_here(
    engine: Engine, analytics: FakeProposals, scene: Scene
) -> None:
    summary = run(engine, analytics)

    live = {scene.amersfoort, scene.utrecht, scene.other_tenant}
    assert {campaign for campaign, _ in analytics.asked} == live  # the draft is not planned
    assert {c.campaign_id for c in summary.planned} == live
    assert (summary.new_proposals, summary.skipped, summary.failed) == (3, (), ())
    assert str(summary) == (
        "week 2026-W48: planned 3 of 3 campaign(s) (3 new proposal(s)); 0 skipped, 0 failed"
    )
    with engine.connect() as conn:
        for campaign_id in live:
            stored = repo.allocation_proposal(conn, campaign_id, WEEK)
            assert stored is not None
            assert stored["allocation"] == {"instagram": 601.0, "tiktok": 399.0}
            assert stored["week"] == WEEK
        assert repo.allocation_proposal(conn, scene.draft, WEEK) is None


def test_job_made_proposals_are_audited_as_the_weekly_jobs_by_name(
    engine: Engine, analytics: FakeProposals, scene: Scene
) -> None:
    run(engine, analytics)

    entries = {row.entity_id: row for row in job_audit(engine)}
    assert set(entries) == {
        f"{scene.amersfoort}:{WEEK}",
        f"{scene.utrecht}:{WEEK}",
        f"{scene.other_tenant}:{WEEK}",
    }
    amersfoort = entries[f"{scene.amersfoort}:{WEEK}"]
    assert (amersfoort.tenant_id, amersfoort.action) == ("tenant-a", "allocation_proposed")
    assert amersfoort.after["campaign"] == "Callcenter Amersfoort"
    # Creatives by their names, not their keys.
    names = {v.variant_id: v.name for v in DEMO_VARIANTS}
    assert amersfoort.after["amounts"] == {
        names["instagram"]: "€601.00",
        names["tiktok"]: "€399.00",
    }
    assert entries[f"{scene.other_tenant}:{WEEK}"].tenant_id == "tenant-b"


def test_a_second_run_of_the_same_week_changes_nothing(
    engine: Engine, analytics: FakeProposals, scene: Scene
) -> None:
    run(engine, analytics)
    proposals_before = table_rows(engine, repo.allocation_proposals)
    audit_before = table_rows(engine, repo.audit_log)
    published_before = list(analytics.published)

    second = run(engine, analytics)

    assert len(second.planned) == 3 and second.new_proposals == 0
    assert table_rows(engine, repo.allocation_proposals) == proposals_before
    assert table_rows(engine, repo.audit_log) == audit_before
    assert analytics.published == published_before


def test_changed_facts_record_the_new_version(
    engine: Engine, analytics: FakeProposals, scene: Scene
) -> None:
    run(engine, analytics)
    analytics.facts_version[scene.utrecht] = 2

    summary = run(engine, analytics)

    assert [c.campaign_id for c in summary.planned if c.new_proposal] == [scene.utrecht]
    with engine.connect() as conn:
        stored = repo.allocation_proposal(conn, scene.utrecht, WEEK)
    assert stored is not None and stored["allocation"]["instagram"] == 602.0
    assert len(job_audit(engine)) == 4


def test_the_consumer_later_finds_the_same_proposal_in_place(
    engine: Engine, analytics: FakeProposals, scene: Scene
) -> None:
    run(engine, analytics)
    proposals_before = table_rows(engine, repo.allocation_proposals)
    proposal = analytics.stored[(scene.amersfoort, WEEK)]
    envelope = new_envelope(
        AllocationProposed(
            week=WEEK,
            budget=proposal.budget,
            allocation=proposal.allocation,
            p_best=proposal.p_best,
            explanation=proposal.explanation,
        ),
        source="analytics",
        tenant_id="tenant-a",
        campaign_id=scene.amersfoort,
        occurred_at=proposal.proposed_at,
        event_id=uuid.UUID(proposal.event_id),
    )

    with transaction(engine) as conn:
        store_allocation_proposal(conn, envelope)

    after = table_rows(engine, repo.allocation_proposals)
    assert [row[:4] for row in after] == [row[:4] for row in proposals_before]


def test_a_refused_campaign_is_skipped_and_a_failing_one_fails_the_others_go_on(
    engine: Engine, analytics: FakeProposals, scene: Scene
) -> None:
    analytics.refused[scene.utrecht] = "every creative is paused or retired; make one live first"
    analytics.down.add(scene.other_tenant)

    summary = run(engine, analytics)

    assert [c.campaign_id for c in summary.planned] == [scene.amersfoort]
    [skipped] = summary.skipped
    assert (skipped.campaign_name, skipped.reason) == (
        "Winkel Utrecht",
        "every creative is paused or retired; make one live first",
    )
    [failed] = summary.failed
    assert failed.campaign_name == "Magazijn Tilburg"
    assert "analytics could not be asked" in failed.reason
    assert str(summary).endswith("1 skipped, 1 failed")


def test_nothing_planned_fails_the_run_and_skips_the_later_steps(
    engine: Engine, analytics: FakeProposals, scene: Scene
) -> None:
    analytics.down.update({scene.amersfoort, scene.utrecht, scene.other_tenant})
    steps: list[str] = []

    def apply_autopilot(week: str) -> None:
        steps.append(week)

    with pytest.raises(WeeklyJobFailed, match="nothing planned: week 2026-W48: planned 0 of 3"):
        run(engine, analytics, after_planning=[apply_autopilot])
    assert steps == []

    analytics.down.clear()
    analytics.refused.update({c: "paused" for c in (scene.amersfoort, scene.utrecht)})
    analytics.refused[scene.other_tenant] = "paused"
    with pytest.raises(WeeklyJobFailed) as raised:
        run(engine, analytics)
    assert len(raised.value.summary.skipped) == 3


def test_no_live_campaign_at_all_is_a_success(engine: Engine, analytics: FakeProposals) -> None:
    summary = run(engine, analytics)
    assert str(summary).startswith("week 2026-W48: planned 0 of 0")


def test_the_steps_after_planning_run_in_order_for_the_week(
    engine: Engine, analytics: FakeProposals, scene: Scene
) -> None:
    calls: list[tuple[str, str]] = []

    def apply_autopilot(week: str) -> None:
        calls.append(("apply_autopilot", week))

    def push_due(week: str) -> None:
        calls.append(("push_due", week))

    summary = run(engine, analytics, after_planning=[apply_autopilot, push_due])

    assert calls == [("apply_autopilot", WEEK), ("push_due", WEEK)]
    assert summary.steps_run == ("apply_autopilot", "push_due")
    assert str(summary).endswith("0 skipped, 0 failed; then apply_autopilot, push_due")


def test_a_week_that_does_not_exist_is_refused(engine: Engine, analytics: FakeProposals) -> None:
    with pytest.raises(ValueError, match="2027 has no week 53"):
        run(engine, analytics, week="2027-W53")
    assert analytics.asked == []
