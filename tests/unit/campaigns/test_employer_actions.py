"""An employer's next best actions: each rule says what is at stake, the employer's list
ranks its live campaigns' actions by it (then by urgency), keeps five, and is empty when
no campaign clearly calls for anything. The same advice reads in Dutch or English."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from test_next_best_actions import NOW, facts, funnel, named, variant, weeks

from campaigns.actions.domain import (
    Action,
    Evidence,
    apply_only_converting_poorly,
    leads_going_cold,
    next_best_actions,
    tired_creatives,
    worse_channel,
)
from campaigns.actions.ranking import CampaignRef, rank_employer_actions
from campaigns.insights.domain import FunnelCounts, VariantFunnel
from campaigns.web.i18n import load_catalogues
from koers.phrases import Euros, Phrase, Share, in_english, say

pytestmark = pytest.mark.unit


def ref(name: str) -> CampaignRef:
    return CampaignRef(campaign_id=f"id-{name}", name=name, slug=name.lower())


def action(key: str, stake: float, kind: str = "refresh_creative") -> Action:
    text = Phrase("x")
    return Action(kind=kind, key=key, title=text, evidence=Evidence(text, text, text), stake=stake)  # type: ignore[arg-type]


def test_each_rule_says_what_is_at_stake_in_candidates_a_week() -> None:
    # 90 leads for €1,500 before, 15 for €1,000 in the last two weeks: at the earlier
    # rate those €1,000 would have brought 60, so 45 are lost over two weeks.
    (tired,) = tired_creatives(funnel(named(weeks((30, 28, 32, 8, 7)), "a")), [variant("a")])
    apply_only = FunnelCounts(visits=1000, applications=10, spend=Decimal(500))
    (page,) = apply_only_converting_poorly(apply_only, ("apply",), weeks=4)
    cheap = VariantFunnel("ig", FunnelCounts(leads=60, spend=Decimal(600)), {})
    dear = VariantFunnel("li", FunnelCounts(leads=10, spend=Decimal(600)), {})
    (move,) = worse_channel(
        funnel(cheap, dear), [variant("ig", "instagram"), variant("li", "linkedin")], weeks=3
    )
    (cold,) = leads_going_cold([facts(NOW - timedelta(days=2))] * 3, now=NOW, target_hours=24)

    assert tired.stake == pytest.approx(22.5)
    assert page.stake == pytest.approx(1000 * (0.05 - 0.01) / 4)  # 10 a week at 5%
    assert move.stake == pytest.approx(200 * (60 / 600 - 10 / 600))  # €200 a week moved
    assert cold.stake == 3.0  # leads in hand count in full


def test_the_employers_list_ranks_by_stake_then_urgency_and_keeps_five() -> None:
    bakkers = [
        action("refresh_creative:a", 2.0),
        action("lower_threshold:page", 0.5, "lower_threshold"),
    ]
    chauffeurs = [action("follow_up:leads", 2.0, "follow_up"), action("refresh_creative:b", 9.0)]
    artsen = [action("move_budget:li:ig", 4.0, "move_budget"), action("refresh_creative:c", 1.0)]
    found = [(ref("Bakkers"), bakkers), (ref("Chauffeurs"), chauffeurs), (ref("Artsen"), artsen)]

    ranked = rank_employer_actions(found)

    assert [(a.campaign.name, a.action.key) for a in ranked.shown] == [
        ("Chauffeurs", "refresh_creative:b"),
        ("Artsen", "move_budget:li:ig"),
        ("Chauffeurs", "follow_up:leads"),  # the same stake as a refresh: cold leads first
        ("Bakkers", "refresh_creative:a"),
        ("Artsen", "refresh_creative:c"),
    ]
    assert ranked.more == 1
    assert rank_employer_actions(found, limit=2).more == 4
    assert rank_employer_actions(reversed(found)).shown == ranked.shown  # order-independent


def test_no_action_is_right_when_no_campaign_clearly_calls_for_one() -> None:
    steady = funnel(named(weeks((30, 28, 32, 29, 31)), "a"))
    quiet = next_best_actions(
        funnel=steady,
        variants=[variant("a")],
        entry_points=("lead", "quiz"),
        contact_facts=[facts(NOW - timedelta(hours=2))],
        now=NOW,
        target_hours=24,
    )
    unknown = next_best_actions(
        funnel=None, variants=[], entry_points=(), contact_facts=None, now=NOW, target_hours=24
    )

    assert quiet == [] and unknown == []
    assert rank_employer_actions([(ref("A"), quiet), (ref("B"), unknown)]).shown == ()
    assert rank_employer_actions([]).more == 0


def test_a_dismissed_action_leaves_the_employers_list_too() -> None:
    tired = funnel(named(weeks((30, 28, 32, 8, 7)), "a"))
    kept = next_best_actions(
        funnel=tired,
        variants=[variant("a")],
        entry_points=("lead",),
        contact_facts=None,
        now=NOW,
        target_hours=24,
        dismissed={"refresh_creative:a": "a new video is planned"},
    )

    assert rank_employer_actions([(ref("A"), kept)]).shown == ()


def test_the_same_advice_reads_in_dutch_and_in_english() -> None:
    (tired,) = tired_creatives(funnel(named(weeks((30, 28, 32, 8, 7)), "a")), [variant("a")])
    dutch = load_catalogues()["nl"]

    assert in_english(tired.title) == (
        "Refresh the creative “Creative a”: it brings fewer leads per euro."
    )
    assert say(tired.title, dutch, "nl_NL") == (
        "Vernieuw de creative “Creative a”: die brengt minder leads per euro op."
    )
    figure = say(tired.evidence.figure, dutch, "nl_NL").replace("\N{NO-BREAK SPACE}", " ")
    assert "25% van de eerdere weken (15 leads voor € 1.000 tegen 90 voor € 1.500)" in figure
    assert say(tired.evidence.rule, dutch, "nl_NL").endswith("onder 100%.")
    assert (
        say(Phrase("%(x)s", {"x": Euros(1234.5)}), dutch, "nl_NL") == "€\N{NO-BREAK SPACE}1.234,50"
    )
    assert in_english(Phrase("%(x)s", {"x": Share(0.025, 1)})) == "2.5%"
    assert say(Phrase("%(x)s", {"x": Euros(float("inf"))}), dutch, "nl_NL") == "onbegrensd"
