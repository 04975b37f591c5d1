"""The memo as a value, built from stored facts: what moved, why, what it should bring,
what waits for a decision, what autopilot did, what went out, earlier campaigns."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from campaigns.memo import dutch
from campaigns.memo.domain import (
    CampaignFacts,
    Creative,
    DecisionFacts,
    EarlierCampaigns,
    ProposalFacts,
    PushFacts,
    build_memo,
    name_creatives,
)

pytestmark = pytest.mark.unit

WEEK = "2026-W49"
NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # Monday, before the 09:00 push time
PUSH_AT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam
CREATIVES = (
    Creative("ig-video", "Instagram-video met Sanne", "instagram"),
    Creative("tt-1", "TikTok: een dag op de afdeling", "tiktok"),
)


def proposal(**changes: object) -> ProposalFacts:
    values: dict[str, object] = {
        "budget_cents": 100_000,
        "allocation": {"ig-video": 65_000, "tt-1": 35_000},
        "p_best": {"ig-video": 0.8, "tt-1": 0.2},
        "explanation": ("ig-video goes up €150.00 to €650.00: it is most likely best.",),
        "reasons": {"tt-1": "tt-1 keeps its exploration share."},
        "expected_conversions": 41.5,
        "equal_split_expected_conversions": 36.0,
    }
    values.update(changes)
    return ProposalFacts(**values)  # type: ignore[arg-type]


def campaign(name: str = "Verpleegkundige Zwolle", **changes: object) -> CampaignFacts:
    values: dict[str, object] = {
        "name": name,
        "slug": name.lower().replace(" ", "-"),
        "autopilot": False,
        "creatives": CREATIVES,
        "proposal": proposal(),
        "decision": None,
        "current": {"ig-video": 50_000, "tt-1": 50_000},
        "current_is_estimate": False,
        "push_at": PUSH_AT,
    }
    values.update(changes)
    return CampaignFacts(**values)  # type: ignore[arg-type]


def test_an_empty_week_has_nothing_to_decide() -> None:
    memo = build_memo(tenant="Zorg Groningen", week=WEEK, campaigns=(), now=NOW)
    assert memo.campaigns == () and memo.to_decide == () and memo.pushed == ()
    assert memo.headline == "Geen voorstellen voor 2026-W49: niets te beslissen."
    assert (memo.previous_week, memo.next_week) == ("2026-W48", "2026-W50")
    assert memo.expected_total is None


def test_a_campaign_without_proposal_is_listed_but_not_to_decide() -> None:
    memo = build_memo(
        tenant="Zorg Groningen", week=WEEK, campaigns=(campaign(proposal=None),), now=NOW
    )
    assert memo.without_proposal == ("Verpleegkundige Zwolle",)
    assert memo.to_decide == ()


def test_a_waiting_proposal_shows_the_move_in_euros_and_percent_and_its_deadline() -> None:
    memo = build_memo(tenant="Zorg Groningen", week=WEEK, campaigns=(campaign(),), now=NOW)
    [c] = memo.campaigns
    assert c.state == "waiting" and c.state_label == "wacht op een beslissing"
    video, tiktok = c.moves
    assert (video.current_cents, video.chosen_cents, video.change_cents) == (50_000, 65_000, 15_000)
    assert video.change_share == pytest.approx(0.3)
    assert tiktok.change_cents == -15_000
    assert dutch.signed_money(video.change_cents) == "+€\xa0150,00"
    assert dutch.signed_percent(tiktok.change_share) == "\u221230%"
    assert memo.headline == "1 campagne wacht op je beslissing."
    [due] = memo.to_decide
    assert due.deadline == PUSH_AT and not due.passed
    assert dutch.moment(due.deadline) == "maandag 30 november 09:00"


def test_the_why_names_creatives_never_ids() -> None:
    memo = build_memo(tenant="T", week=WEEK, campaigns=(campaign(),), now=NOW)
    [c] = memo.campaigns
    assert c.why == (
        "Instagram-video met Sanne goes up €150.00 to €650.00: it is most likely best.",
    )
    assert c.moves[1].reason == "TikTok: een dag op de afdeling keeps its exploration share."
    assert "ig-video" not in " ".join(c.why) and "tt-1" not in c.moves[1].reason


def test_ids_are_replaced_as_whole_words_only() -> None:
    names = {"ig": "Instagram", "ig-2": "Instagram twee"}
    assert name_creatives("ig-2 beats ig; rig stays", names) == (
        "Instagram twee beats Instagram; rig stays"
    )


def test_expected_candidates_against_an_equal_split() -> None:
    memo = build_memo(tenant="T", week=WEEK, campaigns=(campaign(),), now=NOW)
    expectation = memo.campaigns[0].expectation
    assert expectation is not None
    assert expectation.gain == pytest.approx(5.5)
    assert expectation.gain_share == pytest.approx(5.5 / 36.0)
    assert dutch.number(expectation.expected) == "41,5"


def test_no_evidence_claims_no_expectation() -> None:
    bare = campaign(
        proposal=proposal(expected_conversions=None, equal_split_expected_conversions=None)
    )
    memo = build_memo(tenant="T", week=WEEK, campaigns=(bare,), now=NOW)
    assert memo.campaigns[0].expectation is None


def test_approved_amounts_are_what_moved_and_nothing_waits() -> None:
    approved = DecisionFacts(
        status="approved",
        amounts={"ig-video": 60_000, "tt-1": 40_000},
        decided_by="marketeer@zorg.example",
        decided_at=datetime(2026, 11, 30, 7, 30, tzinfo=UTC),
        edited=True,
    )
    memo = build_memo(tenant="T", week=WEEK, campaigns=(campaign(decision=approved),), now=NOW)
    [c] = memo.campaigns
    assert [m.chosen_cents for m in c.moves] == [60_000, 40_000]
    assert [m.proposed_cents for m in c.moves] == [65_000, 35_000]
    assert c.decided == (
        "Goedgekeurd door marketeer@zorg.example op maandag 30 november 08:30, "
        "met aangepaste bedragen."
    )
    assert memo.to_decide == ()
    assert memo.headline == "Niets te beslissen: elke verdeling van deze week is besloten."


def test_autopilot_applied_and_autopilot_held_are_told_apart() -> None:
    at = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    applied = campaign(
        "Applied",
        autopilot=True,
        decision=DecisionFacts("autopilot", {"ig-video": 65_000, "tt-1": 35_000}, "autopilot", at),
    )
    held = campaign(
        "Held",
        autopilot=True,
        decision=DecisionFacts(
            "held", {}, "autopilot", at, reasons=("TikTok: below the exploration floor.",)
        ),
    )
    memo = build_memo(tenant="T", week=WEEK, campaigns=(applied, held), now=NOW)
    assert [c.name for c in memo.campaigns] == ["Held", "Applied"]  # waiting first
    assert memo.autopilot[0].startswith("Held: niet toegepast, de verdeling viel buiten")
    assert "below the exploration floor" in memo.autopilot[0]
    assert memo.autopilot[1].startswith("Applied: de voorgestelde verdeling bleef binnen")
    [due] = memo.to_decide
    assert due.campaign == "Held" and due.reasons == ("TikTok: below the exploration floor.",)


def test_a_passed_push_time_is_flagged() -> None:
    late = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    memo = build_memo(tenant="T", week=WEEK, campaigns=(campaign(),), now=late)
    assert memo.to_decide[0].passed


def test_pushes_are_listed_per_campaign_and_adapter() -> None:
    pushed = campaign(
        decision=DecisionFacts("approved", {"ig-video": 65_000, "tt-1": 35_000}, "m@x.nl", NOW),
        pushes=(
            PushFacts("csv", "sent", PUSH_AT, changes=2),
            PushFacts("meta", "partial", PUSH_AT, changes=2, failed=1),
        ),
    )
    memo = build_memo(tenant="T", week=WEEK, campaigns=(pushed,), now=NOW)
    assert [(p.adapter_label, p.status_label, p.failed) for p in memo.pushed] == [
        ("bulkbestanden", "verzonden", 0),
        ("Meta Marketing API", "deels verzonden", 1),
    ]


def test_a_prior_from_earlier_campaigns_is_said_and_how_much() -> None:
    earlier = EarlierCampaigns(campaigns=3, creatives=11, weight=0.4, disagreement=1.0)
    memo = build_memo(
        tenant="T", week=WEEK, campaigns=(campaign(proposal=proposal(earlier=earlier)),), now=NOW
    )
    [(name, sentence)] = memo.priors
    assert name == "Verpleegkundige Zwolle"
    assert sentence.startswith("Een startpunt uit 3 eerdere campagnes (11 creatives met")
    assert "telt voor 40% mee" in sentence and "afwijken" not in sentence


def test_a_contradicted_prior_says_it_counts_for_less() -> None:
    earlier = EarlierCampaigns(campaigns=1, creatives=4, weight=0.1, disagreement=3.0)
    memo = build_memo(
        tenant="T", week=WEEK, campaigns=(campaign(proposal=proposal(earlier=earlier)),), now=NOW
    )
    assert "1 eerdere campagne (4 creatives" in memo.priors[0][1]
    assert "omdat de resultaten van deze campagne ervan afwijken" in memo.priors[0][1]


def test_without_earlier_campaigns_the_memo_claims_no_prior() -> None:
    memo = build_memo(tenant="T", week=WEEK, campaigns=(campaign(),), now=NOW)
    assert memo.priors == () and memo.campaigns[0].prior is None


def test_the_totals_add_up_over_campaigns() -> None:
    memo = build_memo(tenant="T", week=WEEK, campaigns=(campaign("A"), campaign("B")), now=NOW)
    total = memo.expected_total
    assert total is not None
    assert (total.expected, total.equal_split) == (83.0, 72.0)
    assert memo.subject == "Koers weekmemo 2026-W49 · T"


def test_a_channel_in_parentheses_stays_a_channel() -> None:
    names = {"facebook": "Facebook – werk dichtbij huis"}  # noqa: RUF001
    assert name_creatives("facebook (facebook) is most likely best", names) == (
        "Facebook – werk dichtbij huis (facebook) is most likely best"  # noqa: RUF001
    )


def test_the_subject_is_one_line_whatever_the_employer_is_called() -> None:
    memo = build_memo(tenant="Zorg\r\nBcc: x", week=WEEK, campaigns=(), now=NOW)
    assert memo.subject == "Koers weekmemo 2026-W49 · Zorg Bcc: x"


def test_employee_made_content_is_valued_at_the_employers_cpm() -> None:
    memo = build_memo(
        tenant="Zorg Groningen",
        week=WEEK,
        campaigns=(
            campaign("Verpleegkundige Zwolle", organic_views=12_500, organic_cpm_cents=800),
            campaign("Helpende Assen", proposal=None, organic_views=2_000, organic_cpm_cents=1000),
            campaign("Kok Emmen"),  # no organic views recorded: not mentioned
        ),
        now=NOW,
    )
    organic = {name: sentence.replace("\xa0", " ") for name, sentence in memo.organic}
    assert organic == {
        "Helpende Assen": "2.000 organische weergaven van eigen content van medewerkers, "
        "€ 20,00 waard bij een CPM van € 10,00",
        "Verpleegkundige Zwolle": "12.500 organische weergaven van eigen content van "
        "medewerkers, € 100,00 waard bij een CPM van € 8,00",
    }
    quiet = build_memo(tenant="Zorg Groningen", week=WEEK, campaigns=(campaign(),), now=NOW)
    assert quiet.organic == ()


def test_the_memo_carries_the_employers_actions_only_when_gathered() -> None:
    from campaigns.actions.domain import Action, Evidence
    from campaigns.actions.ranking import CampaignRef, EmployerAction
    from koers.phrases import Phrase

    text = Phrase("Follow up the leads going cold: %(count)s.", {"count": 3})
    act = EmployerAction(
        CampaignRef("c1", "Verpleegkundige Zwolle", "verpleegkundige-zwolle"),
        Action("follow_up", "follow_up:leads", text, Evidence(text, text, text), stake=3.0),
    )

    gathered = build_memo(
        tenant="Zorg BV", week=WEEK, campaigns=[campaign()], now=NOW, actions=[act]
    )
    quiet = build_memo(tenant="Zorg BV", week=WEEK, campaigns=[campaign()], now=NOW, actions=[])
    not_asked = build_memo(tenant="Zorg BV", week=WEEK, campaigns=[campaign()], now=NOW)

    assert gathered.actions == (act,)
    assert quiet.actions == ()  # asked, and nothing is clearly called for
    assert not_asked.actions is None and not_asked.channel_answers is None


def test_the_memo_says_which_channel_gets_answers() -> None:
    from campaigns.leads.speed import ChannelReplies
    from campaigns.memo.domain import channel_sentence

    clear = channel_sentence(
        [
            ChannelReplies("phone", attempted=10, replied=2, first_contacts=4, median_hours=20.0),
            ChannelReplies(
                "whatsapp", attempted=20, replied=12, first_contacts=16, median_hours=3.5
            ),
        ]
    )
    few = channel_sentence([ChannelReplies("email", attempted=2, replied=2)])
    even = channel_sentence([ChannelReplies("email", 10, 5), ChannelReplies("whatsapp", 10, 5)])

    assert clear == (
        "WhatsApp krijgt het vaakst antwoord: WhatsApp 12 van 20 (60%), eerste contact na "
        "3,5 uur; telefoon 2 van 10 (20%), eerste contact na 20,0 uur."
    )
    assert few.startswith("Nog te weinig om kanalen te vergelijken: e-mail 2 van 2 (100%)")
    assert even.startswith("Nog te weinig om kanalen te vergelijken")  # a tie names no winner
    assert channel_sentence([]).startswith("Nog geen contactpogingen vastgelegd")
    memo = build_memo(
        tenant="Zorg BV",
        week=WEEK,
        campaigns=[],
        now=NOW,
        channel_replies=[ChannelReplies("whatsapp", 20, 12, 16, 3.5)],
    )
    assert memo.channel_answers is not None and memo.channel_answers.startswith("WhatsApp krijgt")
