"""Autopilot decides within the guardrails only; nothing reaches an adapter without an
approval or autopilot; a push is stored, audited and not repeated once sent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from decisions_testkit import WEEK, FakeDelivery, demo_campaign, proposal_of, store_proposal
from sqlalchemy import Engine

from campaigns.audit import repository as audit
from campaigns.catalog import repository as catalog_repo
from campaigns.decisions import repository as repo
from campaigns.decisions import service
from campaigns.decisions.service import DecisionRefused
from campaigns.delivery import PlatformIds
from campaigns.seed import SeedResult
from koers.db import transaction

BEFORE_PUSH = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # Friday before W49
AFTER_PUSH = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)  # Monday 09:30 in Amsterdam


def set_autopilot(engine: Engine, on: bool, **guardrails: object) -> None:
    campaign = demo_campaign(engine)
    updated = campaign.guardrails.model_copy(update={"autopilot": on, **guardrails})
    with transaction(engine) as conn:
        conn.execute(
            catalog_repo.campaigns.update()
            .where(catalog_repo.campaigns.c.id == campaign.id)
            .values(guardrails=updated.model_dump(mode="json"))
        )


def test_autopilot_applies_a_split_within_the_guardrails(
    engine: Engine, seeded: SeedResult
) -> None:
    set_autopilot(engine, True)
    campaign = demo_campaign(engine)
    store_proposal(engine, campaign, BEFORE_PUSH)
    with transaction(engine) as conn:
        [outcome] = service.apply_autopilot(conn, campaign.tenant_id, WEEK, BEFORE_PUSH)
        again = service.apply_autopilot(conn, campaign.tenant_id, WEEK, BEFORE_PUSH)
    assert outcome.verdict == "applied"
    assert again == []  # a decided week is left alone
    with engine.connect() as conn:
        decision = repo.decision_for(conn, campaign.id, WEEK)
        [entry] = audit.entries(conn, campaign.tenant_id, object_type="allocation")
    assert decision is not None and decision.status == "autopilot"
    assert decision.amounts["instagram"] == 40_000
    assert entry.actor == "autopilot"
    assert entry.after is not None
    assert "Klantenservicemedewerker Utrecht" in entry.after["summary"]
    assert campaign.id not in str(entry.after)  # named, not by id


def test_autopilot_holds_a_split_outside_the_guardrails_with_the_reason(
    engine: Engine, seeded: SeedResult
) -> None:
    set_autopilot(engine, True, exploration_share=0.4)  # floors of €100 per creative
    campaign = demo_campaign(engine)
    store_proposal(
        engine,
        campaign,
        BEFORE_PUSH,
        {"instagram": 700.0, "tiktok": 150.0, "linkedin": 100.0, "facebook": 50.0},
    )
    delivery = FakeDelivery()
    with transaction(engine) as conn:
        [outcome] = service.apply_autopilot(conn, campaign.tenant_id, WEEK, BEFORE_PUSH)
        pushed = service.push_due(conn, AFTER_PUSH, delivery=delivery)
    assert outcome.verdict == "held"
    assert any("exploration floor" in r and "(€50.00 too low)" in r for r in outcome.reasons)
    assert pushed == [] and delivery.counting.pushed == []
    with engine.connect() as conn:
        decision = repo.decision_for(conn, campaign.id, WEEK)
    assert decision is not None and decision.status == "held"
    assert decision.reasons[0].startswith("Autopilot did not apply this split: Facebook")


def test_nothing_reaches_an_adapter_without_approval_or_autopilot(
    engine: Engine, seeded: SeedResult
) -> None:
    campaign = demo_campaign(engine)  # autopilot off
    store_proposal(engine, campaign, BEFORE_PUSH)
    delivery = FakeDelivery()
    with transaction(engine) as conn:
        assert service.apply_autopilot(conn, campaign.tenant_id, WEEK, BEFORE_PUSH) == []
        assert service.push_due(conn, AFTER_PUSH, delivery=delivery) == []
        with pytest.raises(DecisionRefused, match="only an approved or autopilot split"):
            service.push_campaign(
                conn, campaign=campaign, week=WEEK, delivery=delivery, actor="t", now=AFTER_PUSH
            )
        service.record_decision(
            conn,
            campaign=campaign,
            week=WEEK,
            proposal=proposal_of(campaign),
            status="rejected",
            amounts=None,
            actor="marketer@example.nl",
            now=BEFORE_PUSH,
        )
        assert service.push_due(conn, AFTER_PUSH, delivery=delivery) == []
    assert delivery.counting.pushed == []


def test_an_approved_split_is_pushed_at_its_push_time_once(
    engine: Engine, seeded: SeedResult
) -> None:
    campaign = demo_campaign(engine)
    delivery = FakeDelivery()
    with transaction(engine) as conn:
        repo.save_platform_ids(
            conn, campaign.id, "instagram", PlatformIds(ad_set_id="120200000000001")
        )
        service.approve_edited(
            conn,
            campaign=campaign,
            week=WEEK,
            proposal=proposal_of(campaign),
            amounts={"instagram": 42_000, "tiktok": 23_000, "linkedin": 20_000, "facebook": 15_000},
            actor="marketer@example.nl",
            now=BEFORE_PUSH,
        )
        assert service.push_due(conn, BEFORE_PUSH, delivery=delivery) == []  # not yet due
        first = service.push_due(conn, AFTER_PUSH, delivery=delivery)
        second = service.push_due(conn, AFTER_PUSH, delivery=delivery)
    assert {p.adapter for p in first} == {"csv", "counting"}
    assert second == []
    [plan] = delivery.counting.pushed
    assert {c.variant_id: c.new_weekly_cents for c in plan.creatives}["instagram"] == 42_000
    with engine.connect() as conn:
        [meta_file] = [f for f in repo.files_of(conn, campaign.id, WEEK) if f.platform == "meta"]
        actions = [
            e.action for e in audit.entries(conn, campaign.tenant_id, object_type="allocation")
        ]
    assert meta_file.filename.endswith(f"{WEEK}-meta-ads-manager.csv")
    assert b"120200000000001" in meta_file.content and b"60.00" in meta_file.content
    assert actions.count("delivery_pushed") == 2 and "allocation_approved" in actions


def test_an_edit_outside_the_guardrails_is_refused_with_the_rule(
    engine: Engine, seeded: SeedResult
) -> None:
    campaign = demo_campaign(engine)
    with transaction(engine) as conn, pytest.raises(service.GuardrailsBroken) as refused:
        service.approve_edited(
            conn,
            campaign=campaign,
            week=WEEK,
            proposal=proposal_of(campaign),
            amounts={"instagram": 90_000, "tiktok": 5_000, "linkedin": 5_000, "facebook": 0},
            actor="marketer@example.nl",
            now=BEFORE_PUSH,
        )
    assert {b.rule for b in refused.value.breaches} >= {"exploration_floor"}
    with engine.connect() as conn:
        assert repo.decision_for(conn, campaign.id, WEEK) is None


def test_autopilot_can_be_undone_until_the_push_time(engine: Engine, seeded: SeedResult) -> None:
    set_autopilot(engine, True)
    campaign = demo_campaign(engine)
    store_proposal(engine, campaign, BEFORE_PUSH)
    with transaction(engine) as conn:
        service.apply_autopilot(conn, campaign.tenant_id, WEEK, BEFORE_PUSH)
        with pytest.raises(DecisionRefused, match="has passed"):
            service.undo_autopilot(
                conn, campaign=campaign, week=WEEK, actor="m@example.nl", now=AFTER_PUSH
            )
        undone = service.undo_autopilot(
            conn, campaign=campaign, week=WEEK, actor="m@example.nl", now=BEFORE_PUSH
        )
        assert service.apply_autopilot(conn, campaign.tenant_id, WEEK, BEFORE_PUSH) == []
        assert service.push_due(conn, AFTER_PUSH, delivery=FakeDelivery()) == []
    assert undone.status == "held"
