"""The pure rules of a push: daily budgets, which object holds a budget, blocked changes."""

from __future__ import annotations

import pytest
from delivery_testkit import WEEK, creative, mixed_plan, plan_of

from campaigns.delivery import (
    BudgetPlan,
    ChangeOutcome,
    PushResult,
    daily_budget_cents,
    plan_changes,
)
from campaigns.delivery.domain import format_cents, sanitise_platform_message

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("weekly", "daily"),
    [(70_000, 10_000), (10_000, 1_429), (10, 1), (3, 0), (4, 1), (0, 0), (99_999, 14_286)],
)
def test_daily_budget_is_the_week_over_seven_rounded_half_up_to_the_cent(
    weekly: int, daily: int
) -> None:
    assert daily_budget_cents(weekly) == daily
    assert abs(daily * 7 - weekly) <= 3


def test_amounts_are_written_with_a_decimal_point() -> None:
    assert [format_cents(c) for c in (0, 5, 1429, 100_000)] == ["0.00", "0.05", "14.29", "1000.00"]


def test_each_creative_becomes_one_change_on_the_object_that_holds_its_budget() -> None:
    changes = {c.variant_id: c for c in plan_changes(mixed_plan())}

    assert (changes["video-a"].platform, changes["video-a"].level) == ("meta", "ad_set")
    assert changes["video-a"].object_id == "120210000000001"
    assert changes["video-a"].daily_budget_cents == 10_000
    assert changes["foto-b"].status == "PAUSED"
    assert (changes["li-text"].platform, changes["li-text"].level) == ("linkedin", "campaign")
    assert (changes["tt-video"].platform, changes["tt-video"].level) == ("tiktok", "ad_set")
    assert changes["yt-short"].platform == "google_ads"
    assert changes["yt-short"].platform_campaign_name == "YT Zorg"


def test_a_meta_campaign_budget_is_set_on_the_campaign_when_no_ad_set_is_given() -> None:
    (change,) = plan_changes(plan_of(creative("a", "facebook", campaign_id="1202")))
    assert (change.level, change.object_id, change.sendable) == ("campaign", "1202", True)


def test_missing_ids_and_unsupported_channels_are_blocked_with_a_reason() -> None:
    changes = {c.variant_id: c for c in plan_changes(mixed_plan())}

    assert not changes["no-ids"].sendable
    assert "ad set id" in (changes["no-ids"].blocked or "")
    assert changes["snap"].platform is None
    assert "snapchat" in (changes["snap"].blocked or "")


def test_two_creatives_on_one_ad_set_are_blocked_rather_than_overwrite_each_other() -> None:
    plan = plan_of(
        creative("a", ad_set_id="555"), creative("b", ad_set_id="555"), creative("c", ad_set_id="6")
    )
    blocked = {c.variant_id: c.blocked for c in plan_changes(plan)}

    assert blocked["c"] is None
    assert "shares its budget (555) with b" in (blocked["a"] or "")
    assert "with a" in (blocked["b"] or "")


def test_only_the_requested_platforms_are_planned() -> None:
    platforms = {c.platform for c in plan_changes(mixed_plan(), ["meta"])}
    assert platforms == {"meta"}


def test_a_plan_refuses_a_week_that_does_not_exist_and_duplicate_variants() -> None:
    with pytest.raises(ValueError, match="2027 has no week 53"):
        BudgetPlan("t", "c", "n", "2027-W53", ())
    with pytest.raises(ValueError, match="twice"):
        plan_of(creative("a"), creative("a"))
    with pytest.raises(ValueError, match="negative"):
        creative("a", weekly_cents=-1)
    assert (
        plan_of(creative("a", weekly_cents=5), creative("b", weekly_cents=7)).total_weekly_cents
        == 12
    )
    assert plan_of().week == WEEK


def test_push_status_is_sent_partial_or_refused_by_what_reached_the_platform() -> None:
    a, b = plan_changes(plan_of(creative("a", ad_set_id="1"), creative("b", ad_set_id="2")))

    def status(*kinds: str) -> str:
        outcomes = [ChangeOutcome(ch, k) for ch, k in zip((a, b), kinds, strict=True)]  # type: ignore[arg-type]
        return PushResult.of("x", "key", outcomes).status

    assert status("changed", "already_set") == "sent"
    assert status("changed", "failed") == "partial"
    assert status("refused", "blocked") == "refused"
    assert status("dry_run", "dry_run") == "dry_run"
    failed = PushResult.of("x", "k", [ChangeOutcome(a, "failed"), ChangeOutcome(b, "changed")])
    assert failed.retryable


def test_platform_messages_lose_tokens_before_they_are_stored() -> None:
    text = (
        "Invalid OAuth access token EAAB-secret-123.\n"
        "GET /v23.0/1?access_token=EAAB-other&fields=x Authorization: Bearer EAAB-third "
        + "x"
        * 400
    )
    clean = sanitise_platform_message(text, ["EAAB-secret-123"])

    for secret in ("EAAB-secret-123", "EAAB-other", "EAAB-third"):
        assert secret not in clean
    assert "\n" not in clean
    assert len(clean) <= 300
