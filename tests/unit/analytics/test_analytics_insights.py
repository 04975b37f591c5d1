"""The attribute model: recovers known effects, switches family, refuses politely."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from analytics.insights.domain import (
    MIN_VARIANT_WEEKS,
    InsightRow,
    explain_attributes,
)

pytestmark = pytest.mark.unit

Creative = tuple[str, str, str, bool, tuple[str, ...]]  # id, channel, format, employee, tags

MIXED: Sequence[Creative] = (
    ("a", "instagram", "image", False, ("hook:question",)),
    ("b", "instagram", "video", False, ()),
    ("c", "tiktok", "video", True, ("hook:question",)),
    ("d", "tiktok", "image", False, ()),
    ("e", "linkedin", "image", True, ()),
    ("f", "linkedin", "video", False, ("hook:question",)),
)


def simulate(
    creatives: Sequence[Creative],
    *,
    weeks: int = 12,
    base_rate: float = 0.05,
    video_ratio: float = 1.0,
    employee_ratio: float = 1.0,
    overdispersion: float = 0.0,
    seed: int = 7,
    campaign_id: str = "c1",
) -> list[InsightRow]:
    rng = np.random.default_rng(seed)
    rows = []
    for variant, channel, creative_format, employee, tags in creatives:
        for week in range(1, weeks + 1):
            spend = float(rng.uniform(50, 200))
            rate = base_rate * (video_ratio if creative_format == "video" else 1.0)
            rate *= employee_ratio if employee else 1.0
            if overdispersion:
                rate *= rng.gamma(1 / overdispersion, overdispersion)
            rows.append(
                InsightRow(
                    campaign_id=campaign_id,
                    variant_id=variant,
                    week=f"2026-W{week:02d}",
                    spend=spend,
                    conversions=int(rng.poisson(rate * spend)),
                    channel=channel,
                    creative_format=creative_format,
                    employee_generated=employee,
                    tags=tags,
                )
            )
    return rows


def test_a_known_format_effect_is_recovered_with_its_interval_and_reading() -> None:
    result = explain_attributes(simulate(MIXED, video_ratio=2.0), "leads")

    assert result.status == "ok" and result.family == "poisson"
    video = [e for e in result.effects if e.attribute == "creative_format"]
    assert [(e.level, e.reference) for e in video] == [("video", "image")]
    (v,) = video
    assert v.low < 2.0 < v.high
    assert v.p_value < 0.001
    assert v.reading.startswith("Video creatives produce ")
    assert "as many leads per euro as images" in v.reading
    # attributes without a true effect are read as "cannot tell apart" most of the time
    channel = [e for e in result.effects if e.attribute == "channel"]
    assert {e.reference for e in channel} == {"instagram"}
    assert {e.level for e in channel} == {"linkedin", "tiktok"}
    assert result.variant_weeks == 72 and result.variants == 6
    assert any(e.attribute == "tag" and e.level == "hook:question" for e in result.effects)
    assert any(e.attribute == "employee_generated" for e in result.effects)


def test_no_effect_reads_as_not_distinguishable() -> None:
    result = explain_attributes(simulate(MIXED, video_ratio=1.0, seed=3), "leads")
    (v,) = [e for e in result.effects if e.attribute == "creative_format"]
    assert v.low < 1.0 < v.high
    assert "cannot tell them apart yet" in v.reading


def test_overdispersed_counts_switch_to_the_negative_binomial() -> None:
    rows = simulate(MIXED, video_ratio=2.0, overdispersion=0.6, seed=11)

    result = explain_attributes(rows, "leads")

    assert result.status == "ok"
    assert result.dispersion is not None and result.dispersion > 1.5
    assert result.family == "negative_binomial" and result.alpha is not None
    assert result.alpha > 0.1
    poisson_like = explain_attributes(simulate(MIXED, video_ratio=2.0, seed=11), "leads")
    (nb,) = [e for e in result.effects if e.attribute == "creative_format"]
    (po,) = [e for e in poisson_like.effects if e.attribute == "creative_format"]
    assert (nb.high / nb.low) > (po.high / po.low)  # wider, honest intervals


def test_too_few_variant_weeks_is_not_enough_data() -> None:
    rows = simulate(MIXED[:2], weeks=3)
    assert len(rows) < MIN_VARIANT_WEEKS

    result = explain_attributes(rows, "leads")

    assert result.status == "not_enough_data"
    assert "creative-weeks" in result.reason and result.effects == ()


def test_too_few_conversions_is_not_enough_data() -> None:
    result = explain_attributes(simulate(MIXED, base_rate=0.0001), "hires")
    assert result.status == "not_enough_data" and "hires" in result.reason


def test_creatives_that_do_not_differ_cannot_be_compared() -> None:
    same = [(v, "instagram", "video", False, ()) for v in "abcd"]
    result = explain_attributes(simulate(same), "leads")
    assert result.status == "not_enough_data"
    assert "do not differ" in result.reason


def test_a_level_that_never_converted_is_left_out_not_estimated_as_zero() -> None:
    rows = [
        row if row.creative_format == "image" else _with_conversions(row, 0)
        for row in simulate(MIXED, video_ratio=1.0)
    ]

    result = explain_attributes(rows, "leads")

    assert result.status == "ok"
    assert all(e.attribute != "creative_format" for e in result.effects)
    assert any("format video" in note and "converted" in note for note in result.not_estimable)
    assert all(np.isfinite(e.rate_ratio) and e.high < 1e6 for e in result.effects)


def test_confounded_attributes_are_named_not_fitted_into_a_singular_design() -> None:
    # every TikTok creative is a video and every video is on TikTok
    confounded = [
        ("a", "tiktok", "video", False, ()),
        ("b", "tiktok", "video", True, ()),
        ("c", "instagram", "image", False, ()),
        ("d", "instagram", "image", True, ()),
    ]

    result = explain_attributes(simulate(confounded), "leads")

    assert result.status == "ok"
    assert [e.attribute for e in result.effects] == ["channel", "employee_generated"]
    assert any("format video" in n and "told apart" in n for n in result.not_estimable)


def test_when_only_confounded_attributes_vary_the_answer_is_not_enough_data() -> None:
    confounded = [
        ("a", "tiktok", "video", False, ()),
        ("b", "instagram", "image", False, ()),
        ("c", "tiktok", "video", False, ()),
    ]
    rows = [_with_conversions(r, 0) if r.channel == "tiktok" else r for r in simulate(confounded)]

    result = explain_attributes(rows, "leads")

    assert result.status == "not_enough_data"
    assert "no attribute can be compared" in result.reason


def test_across_campaigns_a_better_campaign_does_not_pass_for_a_better_format() -> None:
    # Campaign "good" converts 4x better and is the only one with videos; within it,
    # videos convert like images. Without a per-campaign intercept, video would look 2x+.
    good = simulate(
        [
            ("g1", "instagram", "video", False, ()),
            ("g2", "instagram", "image", False, ()),
            ("g3", "instagram", "video", False, ()),
        ],
        base_rate=0.08,
        campaign_id="good",
        seed=5,
    )
    plain = simulate(
        [(f"p{i}", "instagram", "image", False, ()) for i in range(3)],
        base_rate=0.02,
        campaign_id="plain",
        seed=6,
    )

    result = explain_attributes(good + plain, "leads")

    (v,) = [e for e in result.effects if e.attribute == "creative_format"]
    assert v.low < 1.0 < v.high
    assert all(e.attribute != "campaign" for e in result.effects)  # type: ignore[comparison-overlap]


def test_rows_without_spend_do_not_enter_the_model() -> None:
    rows = simulate(MIXED, video_ratio=2.0)
    free = [_with_spend(row, 0.0) for row in rows[:5]]
    result = explain_attributes(free + rows[5:], "leads")
    assert result.variant_weeks == len(rows) - 5


def _with_conversions(row: InsightRow, conversions: int) -> InsightRow:
    return InsightRow(**{**row.__dict__, "conversions": conversions})


def _with_spend(row: InsightRow, spend: float) -> InsightRow:
    return InsightRow(**{**row.__dict__, "spend": spend})
