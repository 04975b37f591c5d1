"""The benchmarks' disclosure rule and figures (pure): a cell stands on five employers,
enough leads and no dominant employer; who has not opted in changes nothing."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from campaigns.benchmarks.domain import (
    MIN_EMPLOYERS,
    CampaignFacts,
    Cell,
    CellKey,
    ChannelTotals,
    ContactWaits,
    Window,
    campaign_comparisons,
    employer_contributions,
    hidden_reason,
    median_interval,
    publish,
    ratio_interval,
    round_significant,
    window_before,
)
from campaigns.insights.domain import CampaignFunnel, FunnelCounts, VariantFunnel
from campaigns.leads.landing_client import Contact, LeadContactFacts

pytestmark = pytest.mark.unit

CELL = ("zorg", "utrecht", "instagram")


def totals(tenant: str, spend: float, leads: int, interviews: int = 0) -> ChannelTotals:
    return ChannelTotals(tenant, *CELL, spend=spend, leads=leads, interviews=interviews)


def employers(n: int, *, spend: float = 1000.0, leads: int = 20, interviews: int = 4) -> list:
    return [totals(f"t{i}", spend + 100 * i, leads + i, interviews) for i in range(n)]


def cell(cells: list[Cell], metric: str) -> Cell:
    return next(c for c in cells if c.key.metric == metric)


def test_a_cell_backed_by_four_employers_is_hidden_and_by_five_is_shown() -> None:
    four = publish(employers(4), [], opted_in={f"t{i}" for i in range(4)})
    five = publish(employers(5), [], opted_in={f"t{i}" for i in range(5)})

    assert not cell(four, "cost_per_lead").shown
    assert cell(four, "cost_per_lead").reason == "too_few_employers"
    assert cell(four, "cost_per_lead").value is None
    shown = cell(five, "cost_per_lead")
    assert shown.shown and shown.employers == 5
    # Pooled over all five: (1000+1100+1200+1300+1400) / (20+21+22+23+24) = 55.45... -> 55
    assert shown.value == 55.0
    assert shown.low is not None and shown.high is not None
    assert shown.low < shown.value < shown.high
    assert cell(five, "interview_rate").value == round(20 / 110, 2)


def test_an_employer_not_opted_in_contributes_nothing() -> None:
    five = employers(5)
    outsider = totals("outsider", spend=90_000.0, leads=3, interviews=0)
    opted_in = {f"t{i}" for i in range(5)}

    without = publish(five, [], opted_in=opted_in)
    with_outsider = publish([*five, outsider], [], opted_in=opted_in)

    assert with_outsider == without
    # And four who opted in plus one who did not stay hidden: the outsider is no fifth.
    four_and_outsider = publish(
        [*employers(4), totals("outsider", 1000.0, 30)], [], opted_in={f"t{i}" for i in range(4)}
    )
    assert cell(four_and_outsider, "cost_per_lead").reason == "too_few_employers"
    waits = [ContactWaits(f"t{i}", "zorg", "utrecht", (1.0,) * 12) for i in range(5)]
    outsider_waits = ContactWaits("outsider", "zorg", "utrecht", (500.0,) * 400)
    assert publish([], [*waits, outsider_waits], opted_in=opted_in) == publish(
        [], waits, opted_in=opted_in
    )


def test_too_little_volume_is_hidden_even_with_many_employers() -> None:
    thin = [totals(f"t{i}", 300.0, 4) for i in range(8)]  # 32 leads < 50

    found = publish(thin, [], opted_in={f"t{i}" for i in range(8)})

    assert cell(found, "cost_per_lead").reason == "too_little_volume"
    assert cell(found, "interview_rate").reason == "too_little_volume"


def test_a_dominant_employer_hides_the_cell() -> None:
    small = [totals(f"t{i}", 500.0, 12) for i in range(4)]
    big = totals("big", 500.0, 60)  # 60 of 108 leads: more than half

    found = publish([*small, big], [], opted_in={"big", *(f"t{i}" for i in range(4))})

    assert cell(found, "cost_per_lead").reason == "dominated"
    # Half exactly is allowed; the rule is "more than half".
    assert hidden_reason(({"a": 5, "b": 1, "c": 1, "d": 1, "e": 2},), volume=50) is None
    assert hidden_reason(({"a": 6, "b": 1, "c": 1, "d": 1, "e": 1},), volume=50) == "dominated"


def test_dominance_counts_spend_too() -> None:
    even_leads = [totals(f"t{i}", 100.0, 20, interviews=2) for i in range(4)]
    big_spender = totals("big", 5000.0, 20, interviews=2)

    found = publish([*even_leads, big_spender], [], opted_in={"big", *(f"t{i}" for i in range(4))})

    assert cell(found, "cost_per_lead").reason == "dominated"
    # The interview rate sums leads and interviews only, where nobody dominates.
    assert cell(found, "interview_rate").shown
    assert cell(found, "interview_rate").value == 0.1


def test_employers_without_volume_do_not_count_toward_five() -> None:
    found = publish(
        [*employers(4), totals("empty", 0.0, 0)],
        [],
        opted_in={"empty", *(f"t{i}" for i in range(4))},
    )
    assert cell(found, "cost_per_lead").reason == "too_few_employers"


def test_the_figure_is_the_same_for_every_reader_and_rounded() -> None:
    rows = employers(6)
    found = publish(rows, [], opted_in={r.tenant_id for r in rows})
    again = publish(list(reversed(rows)), [], opted_in={r.tenant_id for r in rows})

    assert found == again  # no "all but me": one figure per cell, whatever the order
    value = cell(found, "cost_per_lead").value
    assert value is not None and value == round_significant(value)


def test_time_to_first_contact_is_pooled_over_leads_with_the_middle_half() -> None:
    waits = [ContactWaits(f"t{i}", "zorg", "utrecht", (1.0, 2.0, 3.0, 4.0) * 3) for i in range(5)]

    found = publish([], waits, opted_in={f"t{i}" for i in range(5)})

    (only,) = found
    assert only.key == CellKey("first_contact_hours", "zorg", "utrecht", "all")
    assert only.shown and only.employers == 5
    # 60 leads, 15 each at 1-4 h: quartiles interpolate to 1.75 and 3.25, rounded.
    assert (only.value, only.low, only.high) == (2.5, 1.8, 3.2)
    four = publish([], waits[:4], opted_in={f"t{i}" for i in range(5)})
    assert four[0].reason == "too_few_employers"


def test_ratio_interval_counts_employers_not_leads() -> None:
    alike = ratio_interval([100.0] * 5, [10.0] * 5)
    apart = ratio_interval([50.0, 80.0, 100.0, 120.0, 150.0], [10.0] * 5)

    assert alike == (10.0, 10.0, 10.0)  # employers agree: no spread
    assert apart[0] == 10.0 and apart[1] < 10.0 < apart[2]
    assert apart[2] - apart[1] == pytest.approx(
        # residuals -50, -20, 0, 20, 50 (5,800 squared), t(0.95, 4 df) = 2.1318
        2 * 2.1318 * math.sqrt(5 / 4 * 5800) / 50,
        rel=1e-3,
    )


def test_median_interval_is_distribution_free() -> None:
    values = [float(v) for v in range(1, 21)]  # median 10.5

    found = median_interval(values)

    # n=20 at 90%: the 6th smallest and 6th largest (P(Bin(20, .5) <= 5) = 0.021)
    assert (found.value, found.low, found.high) == (10.5, 6.0, 15.0)
    assert median_interval([]).value is None
    assert median_interval([3.0, 1.0]) == median_interval([1.0, 3.0])


NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)


def lead(created: datetime, first_contact_after: timedelta | None) -> LeadContactFacts:
    contacts = (
        ()
        if first_contact_after is None
        else (
            Contact(
                kind="attempt",
                channel="whatsapp",
                at=created + first_contact_after,
                recruiter_id="r",
            ),
        )
    )
    return LeadContactFacts(
        lead_id=str(created),
        created_at=created,
        contact_channel="whatsapp",
        status="contacted",
        contacts=contacts,
    )


def test_an_employer_contributes_its_window_per_region_and_channel() -> None:
    window = window_before("2026-W50")
    assert window == Window("2026-W24", "2026-W49")
    funnel = CampaignFunnel(
        "c",
        (
            VariantFunnel(
                "ig",
                FunnelCounts(),
                {
                    "2026-W48": FunnelCounts(spend=Decimal(300), leads=10, interviews=2),
                    "2026-W49": FunnelCounts(spend=Decimal(100), leads=5, interviews=1),
                    "2026-W50": FunnelCounts(spend=Decimal(999), leads=99),  # after the window
                    "2026-W10": FunnelCounts(spend=Decimal(999), leads=99),  # before it
                },
            ),
            VariantFunnel("gone", FunnelCounts(), {"2026-W48": FunnelCounts(leads=7)}),
        ),
        FunnelCounts(),
    )
    facts = (
        lead(datetime(2026, 11, 30, 9, tzinfo=UTC), timedelta(hours=3)),
        lead(datetime(2026, 11, 30, 10, tzinfo=UTC), None),  # not contacted: no wait
        lead(datetime(2026, 12, 8, 9, tzinfo=UTC), timedelta(hours=1)),  # after the window
    )
    campaign = CampaignFacts(("utrecht", "zeeland"), {"ig": "instagram"}, funnel, facts)
    no_region = CampaignFacts((), {"ig": "instagram"}, funnel, facts)

    found_totals, found_waits = employer_contributions(
        "t1", "zorg", [campaign, no_region], window=window
    )

    assert found_totals == [
        ChannelTotals("t1", "zorg", "utrecht", "instagram", 400.0, 15, 3),
        ChannelTotals("t1", "zorg", "zeeland", "instagram", 400.0, 15, 3),
    ]
    assert found_waits == [
        ContactWaits("t1", "zorg", "utrecht", (3.0,)),
        ContactWaits("t1", "zorg", "zeeland", (3.0,)),
    ]


def test_the_campaign_is_placed_against_its_cells() -> None:
    window = Window("2026-W24", "2026-W49")
    funnel = CampaignFunnel(
        "c",
        (
            VariantFunnel(
                "ig",
                FunnelCounts(),
                {"2026-W48": FunnelCounts(spend=Decimal(2000), leads=20, interviews=5)},
            ),
            VariantFunnel(
                "tt",
                FunnelCounts(),
                {"2026-W48": FunnelCounts(spend=Decimal(400), leads=40, interviews=4)},
            ),
        ),
        FunnelCounts(),
    )
    cost_ig = CellKey("cost_per_lead", "zorg", "utrecht", "instagram")
    cells = {cost_ig: Cell(cost_ig, 6, True, value=30.0, low=25.0, high=36.0)}

    found = campaign_comparisons(
        sector="zorg",
        regions=("utrecht",),
        funnel=funnel,
        channel_of={"ig": "instagram", "tt": "tiktok"},
        waits_hours=[2.0, 3.0, 30.0],
        cells=cells,
        window=window,
    )

    by = {(c.metric, c.channel): c for c in found}
    instagram = by[("cost_per_lead", "instagram")]
    assert instagram.own.value == 100.0 and instagram.benchmark == cells[cost_ig]
    assert instagram.placement == "above"  # €100 a lead, clearly dearer than €25-36
    assert by[("cost_per_lead", "tiktok")].benchmark is None  # withheld: empty state
    assert by[("cost_per_lead", "tiktok")].placement == "unknown"
    assert by[("interview_rate", "tiktok")].own.value == 0.1
    assert by[("first_contact_hours", "all")].own.value == 3.0
    assert len(found) == 5
    assert MIN_EMPLOYERS == 5
