"""Next best actions: each rule fires on clear evidence, names its figure, interval and
rule, and stays silent when the facts do not clearly call for it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from campaigns.actions.domain import (
    leads_going_cold,
    next_best_actions,
    proportion_interval,
    rate_ratio,
)
from campaigns.catalog.domain import Variant
from campaigns.insights.domain import CampaignFunnel, FunnelCounts, VariantFunnel
from campaigns.leads.landing_client import Contact, LeadContactFacts
from koers.phrases import in_english

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
WEEKS = ("2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49")


def variant(variant_id: str, channel: str = "instagram", live: bool = True) -> Variant:
    return Variant(
        variant_id=variant_id,
        name=f"Creative {variant_id}",
        channel=channel,
        creative_format="image",
        hook="Hook",
        live=live,
    )


def weeks(leads: tuple[int, ...], spend: int = 500, visits: int = 0) -> VariantFunnel:
    by_week = {
        w: FunnelCounts(leads=n, spend=Decimal(spend), visits=visits)
        for w, n in zip(WEEKS, leads, strict=False)
    }
    total = FunnelCounts(
        leads=sum(leads), spend=Decimal(spend * len(leads)), visits=visits * len(leads)
    )
    return VariantFunnel(variant_id="x", totals=total, weeks=by_week)


def funnel(*variants: VariantFunnel) -> CampaignFunnel:
    totals = FunnelCounts(
        leads=sum(v.totals.leads for v in variants),
        visits=sum(v.totals.visits for v in variants),
        applications=sum(v.totals.applications for v in variants),
        spend=sum((v.totals.spend for v in variants), Decimal(0)),
    )
    return CampaignFunnel(campaign_id="c", variants=variants, totals=totals)


def named(funnel_of: VariantFunnel, variant_id: str) -> VariantFunnel:
    return VariantFunnel(variant_id, funnel_of.totals, funnel_of.weeks)


def actions(f: CampaignFunnel | None, variants: list[Variant], **kw: object) -> list[str]:
    found = next_best_actions(
        funnel=f,
        variants=variants,
        entry_points=kw.get("entry_points", ("quiz", "lead", "apply")),  # type: ignore[arg-type]
        contact_facts=kw.get("facts"),  # type: ignore[arg-type]
        now=NOW,
        target_hours=24,
        dismissed=kw.get("dismissed"),  # type: ignore[arg-type]
    )
    return [a.key for a in found]


def test_intervals_are_exact() -> None:
    low, high = proportion_interval(0, 10)
    assert low == 0 and high == pytest.approx(0.3085, abs=1e-4)  # the rule of three, exact
    estimate, r_low, r_high = rate_ratio(10, 1000, 40, 1000) or (0, 0, 0)
    assert estimate == 0.25 and r_low < 0.25 < r_high < 1
    assert rate_ratio(0, 0, 10, 100) is None


def test_a_tired_creative_is_refreshed_with_its_evidence() -> None:
    tired = named(weeks((30, 28, 32, 8, 7)), "a")

    found = next_best_actions(
        funnel=funnel(tired),
        variants=[variant("a")],
        entry_points=("lead",),
        contact_facts=None,
        now=NOW,
        target_hours=24,
    )

    assert [a.key for a in found] == ["refresh_creative:a"]
    evidence = found[0].evidence
    assert "Leads per euro in the last 2 weeks are 25% of its earlier weeks" in in_english(
        evidence.figure
    )
    assert in_english(evidence.interval).startswith("95% interval ")
    assert "at least 20 earlier leads" in in_english(evidence.rule)
    assert "interval below 100%." in in_english(evidence.rule)


@pytest.mark.parametrize(
    ("leads", "live"),
    [
        ((30, 28, 32, 29, 31), True),  # steady: nothing to refresh
        ((3, 2, 4, 1, 0), True),  # too few leads to tell
        ((30, 28, 32, 8, 7), False),  # tired but paused already
        ((30, 28, 32, 24, 22), True),  # a dip within noise
    ],
)
def test_no_refresh_without_clear_fatigue(leads: tuple[int, ...], live: bool) -> None:
    assert actions(funnel(named(weeks(leads), "a")), [variant("a", live=live)]) == []


def test_an_apply_only_page_converting_poorly_gets_a_lower_threshold() -> None:
    page = funnel(
        VariantFunnel("a", FunnelCounts(visits=800, applications=8, spend=Decimal(400)), {})
    )
    healthy = funnel(
        VariantFunnel("a", FunnelCounts(visits=800, applications=64, spend=Decimal(400)), {})
    )
    few_visits = funnel(
        VariantFunnel("a", FunnelCounts(visits=120, applications=1, spend=Decimal(60)), {})
    )

    assert actions(page, [variant("a")], entry_points=("apply",)) == ["lower_threshold:page"]
    assert actions(page, [variant("a")], entry_points=("apply", "quiz")) == []
    assert actions(healthy, [variant("a")], entry_points=("apply",)) == []
    assert actions(few_visits, [variant("a")], entry_points=("apply",)) == []


def test_budget_moves_only_off_a_clearly_worse_channel() -> None:
    cheap = VariantFunnel("ig", FunnelCounts(leads=60, spend=Decimal(600)), {})
    dear = VariantFunnel("li", FunnelCounts(leads=10, spend=Decimal(600)), {})
    close = VariantFunnel("li", FunnelCounts(leads=50, spend=Decimal(600)), {})
    thin = VariantFunnel("li", FunnelCounts(leads=1, spend=Decimal(60)), {})
    both = [variant("ig", "instagram"), variant("li", "linkedin")]

    found = next_best_actions(
        funnel=funnel(cheap, dear),
        variants=both,
        entry_points=("lead",),
        contact_facts=None,
        now=NOW,
        target_hours=24,
    )

    assert [a.key for a in found] == ["move_budget:linkedin:instagram"]
    assert "Cost per lead on linkedin €60.00" in in_english(found[0].evidence.figure)
    assert actions(funnel(cheap, close), both) == []
    assert actions(funnel(cheap, thin), both) == []  # one lead proves nothing
    assert actions(funnel(cheap), both[:1]) == []  # one channel: nothing to move to


def facts(created: datetime, *contacts: tuple[str, datetime], status: str = "new"):
    return LeadContactFacts(
        lead_id=str(uuid.uuid4()),
        created_at=created,
        contact_channel="whatsapp",
        status=status,
        contacts=tuple(
            Contact(kind=kind, channel="whatsapp", at=at, recruiter_id="u")  # type: ignore[arg-type]
            for kind, at in contacts
        ),
    )


def test_leads_going_cold_are_followed_up() -> None:
    day = timedelta(days=1)
    cold = [
        facts(NOW - 2 * day),  # past the 24 h target, never contacted
        facts(NOW - 6 * day, ("attempt", NOW - 5 * day), status="contacted"),  # no answer
    ]
    warm = [
        facts(NOW - timedelta(hours=3)),  # within the target
        facts(NOW - 6 * day, ("attempt", NOW - 5 * day), ("reply", NOW - 4 * day)),
        facts(NOW - 2 * day, ("attempt", NOW - day), status="contacted"),  # a day: give it time
        facts(NOW - 9 * day, status="rejected"),
    ]

    found = leads_going_cold(cold + warm, now=NOW, target_hours=24)

    assert [a.key for a in found] == ["follow_up:leads"]
    assert in_english(found[0].evidence.figure).startswith(
        "1 not contacted within 24 h, 1 without a reply for more than 3 days"
    )
    assert leads_going_cold(warm, now=NOW, target_hours=24) == []


def test_a_dismissed_action_stays_away_and_unknown_facts_give_no_advice() -> None:
    tired = funnel(named(weeks((30, 28, 32, 8, 7)), "a"))

    assert actions(tired, [variant("a")], dismissed={"refresh_creative:a": "new one planned"}) == []
    assert actions(None, [variant("a")], facts=None) == []
