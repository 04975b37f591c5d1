"""The guardrail re-check of an edited split: which rule, and by how much, in words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time

import pytest

from campaigns.decisions.domain import (
    PushTime,
    SplitLine,
    check_split,
    even_split,
    parse_euros,
    planned_week,
)
from koers.events import Guardrails


def lines(
    amounts: dict[str, int], last: dict[str, int] | None = None, **channels: str
) -> list[SplitLine]:
    return [
        SplitLine(
            variant_id=v,
            name=f"Creative {v.upper()}",
            channel=channels.get(v, "instagram"),
            amount_cents=c,
            last_week_cents=None if last is None else last.get(v),
        )
        for v, c in amounts.items()
    ]


GUARDRAILS = Guardrails(exploration_share=0.10, max_weekly_change=0.30, min_spend_per_creative=0)


def test_a_split_within_every_guardrail_passes() -> None:
    split = lines({"a": 40_000, "b": 35_000, "c": 25_000}, {"a": 35_000, "b": 35_000, "c": 30_000})
    assert check_split(split, budget_cents=100_000, guardrails=GUARDRAILS) == []


def test_a_cut_beyond_the_maximum_change_names_the_rule_and_the_shortfall() -> None:
    # B goes from €400 to €220: -45%, where at most -30% (€280) is allowed: €60 too low.
    split = lines({"a": 48_000, "b": 22_000, "c": 30_000}, {"a": 30_000, "b": 40_000, "c": 30_000})
    [breach] = check_split(split, budget_cents=100_000, guardrails=GUARDRAILS)
    assert breach.rule == "max_change"
    assert breach.variant_id == "b"
    assert breach.message == (
        "Creative B: \u221245% is more than the maximum change of 30% (€60.00 too low)."
    )
    assert breach.off_by_cents == 6_000


def test_a_creative_the_engine_exempts_may_be_cut_further_like_the_engine() -> None:
    """In the ad platform's learning phase (or ruled out), max_change does not hold."""
    cut = {"a": 48_000, "b": 22_000, "c": 30_000}
    last = {"a": 30_000, "b": 40_000, "c": 30_000}
    exempt = [replace(line, max_change_holds=line.variant_id != "b") for line in lines(cut, last)]
    assert check_split(exempt, budget_cents=100_000, guardrails=GUARDRAILS) == []
    [breach] = check_split(lines(cut, last), budget_cents=100_000, guardrails=GUARDRAILS)
    assert breach.rule == "max_change"


def test_raises_are_not_limited_like_the_engine() -> None:
    split = lines({"a": 70_000, "b": 30_000}, {"a": 40_000, "b": 60_000})
    breaches = check_split(
        split,
        budget_cents=100_000,
        guardrails=GUARDRAILS.model_copy(update={"max_weekly_change": 0.5}),
    )
    assert breaches == []


def test_the_total_must_be_the_weekly_budget() -> None:
    split = lines({"a": 60_000, "b": 45_000})
    [breach] = check_split(split, budget_cents=100_000, guardrails=GUARDRAILS)
    assert breach.rule == "total"
    assert breach.message == (
        "The amounts add up to €1,050.00, not the weekly budget of €1,000.00 (€50.00 too high)."
    )


def test_the_exploration_floor_and_the_minimum_spend() -> None:
    split = lines({"a": 97_000, "b": 3_000})
    [breach] = check_split(split, budget_cents=100_000, guardrails=GUARDRAILS)
    assert breach.rule == "exploration_floor"
    assert breach.message.startswith("Creative B: €30.00 is below the exploration floor of €50.00")
    assert "(€20.00 too low)" in breach.message

    strict = GUARDRAILS.model_copy(update={"min_spend_per_creative": 150.0})
    [breach] = check_split(
        lines({"a": 90_000, "b": 10_000}), budget_cents=100_000, guardrails=strict
    )
    assert breach.rule == "min_spend"
    assert breach.message == (
        "Creative B: €100.00 is below the minimum spend per live creative of €150.00 "
        "(€50.00 too low)."
    )


def test_a_channel_over_its_cap() -> None:
    capped = GUARDRAILS.model_copy(update={"channel_caps": {"linkedin": 0.5}})
    split = lines({"a": 70_000, "b": 30_000}, a="linkedin", b="instagram")
    [breach] = check_split(split, budget_cents=100_000, guardrails=capped)
    assert breach.rule == "channel_cap"
    assert breach.message == (
        "Linkedin: €700.00 is 70% of the budget, more than its cap of 50% (€200.00 too high)."
    )


def test_several_breaches_are_all_named() -> None:
    split = lines({"a": 99_000, "b": 2_000}, {"a": 50_000, "b": 50_000})
    rules = {b.rule for b in check_split(split, budget_cents=100_000, guardrails=GUARDRAILS)}
    assert rules == {"total", "exploration_floor", "max_change"}


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("1200", 120_000),
        ("1.200,50", 120_050),
        ("1,200.50", 120_050),
        ("€ 80,5", 8_050),
        ("1.200", 120_000),  # a Dutch twelve hundred, not one euro twenty
        ("1.234.567", 123_456_700),
        ("925.5", 92_550),
        ("abc", None),
        ("", None),
    ],
)
def test_typed_amounts(typed: str, cents: int | None) -> None:
    assert parse_euros(typed) == cents


def test_the_planned_week_starts_on_the_coming_or_current_monday() -> None:
    assert planned_week(datetime(2026, 11, 23, 6, 0, tzinfo=UTC)) == "2026-W48"  # a Monday
    assert planned_week(datetime(2026, 11, 25, 12, 0, tzinfo=UTC)) == "2026-W49"
    assert planned_week(datetime(2026, 11, 29, 23, 30, tzinfo=UTC)) == "2026-W49"  # Mon in NL


def test_the_push_time_defaults_to_monday_nine_in_amsterdam() -> None:
    assert PushTime().moment("2026-W49") == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    summer = PushTime(weekday=1, at=time(7, 30))
    assert summer.moment("2026-W27") == datetime(2026, 6, 30, 5, 30, tzinfo=UTC)


def test_an_even_split_keeps_every_cent() -> None:
    assert even_split(100_001, ["a", "b", "c"]) == {"a": 33_334, "b": 33_334, "c": 33_333}
