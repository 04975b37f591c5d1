"""The weekly memo as a value: what moved, why, what it should bring, what needs a
decision, what autopilot did, what went out, and where earlier campaigns shaped a split.

Pure: :func:`build_memo` takes what is stored for one employer's ISO week (each
campaign's creatives, the proposal as analytics announced it, the decision, what runs
now, the push time and push results) and returns a frozen :class:`Memo`. Amounts are
integer euro cents; the page and the e-mail format them with :mod:`campaigns.memo.dutch`.
Creatives and campaigns are named, never shown by id: the engine's sentences, which
mention creatives by id, have the ids replaced by names.

Beside the week's stored facts the memo carries the employer's follow-up as it stands
when the memo is read or sent: its next best actions (ranked across live campaigns) and
which contact channel gets answers. Those come from live figures, so the builder takes
them ready-made and the memo says they are "now".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from campaigns.actions.ranking import EmployerAction
from campaigns.leads.speed import ChannelReplies
from campaigns.memo import dutch
from campaigns.organic.domain import DEFAULT_CPM_CENTS, media_value_cents
from koers.isoweeks import shift_week, week_monday

State = Literal["waiting", "held", "approved", "autopilot", "rejected", "no_proposal"]
STATE_LABELS: dict[State, str] = {
    "waiting": "wacht op een beslissing",
    "held": "wacht op een beslissing",
    "approved": "goedgekeurd",
    "autopilot": "toegepast door autopilot",
    "rejected": "afgewezen",
    "no_proposal": "nog geen voorstel",
}
PUSH_LABELS: dict[str, str] = {
    "sent": "verzonden",
    "partial": "deels verzonden",
    "refused": "geweigerd",
    "dry_run": "proefrun",
}
ADAPTER_LABELS: dict[str, str] = {"csv": "bulkbestanden", "meta": "Meta Marketing API"}
AUTOPILOT_ACTOR = "autopilot"
CHANNEL_NAMES_NL: dict[str, str] = {
    "whatsapp": "WhatsApp",
    "email": "e-mail",
    "phone": "telefoon",
    "linkedin": "LinkedIn",
}
REPLIES_TO_COMPARE = 5
"""Contact attempts a channel needs before the memo calls it the one that gets answers."""
DISAGREEMENT_NOTICEABLE = 1.5
"""Above this the engine widened the earlier campaigns' spread noticeably (as its own
explanation says, ``analytics.allocation.explain.earlier_sentence``)."""


# --- what goes in ------------------------------------------------------------------------


@dataclass(frozen=True)
class Creative:
    variant_id: str
    name: str
    channel: str


@dataclass(frozen=True)
class EarlierCampaigns:
    """How much the employer's earlier campaigns shaped the proposal (from analytics)."""

    campaigns: int
    creatives: int
    weight: float
    """Their share of the weight in the week's channel estimates (0-1)."""
    disagreement: float = 1.0


@dataclass(frozen=True)
class ProposalFacts:
    budget_cents: int
    allocation: Mapping[str, int]
    p_best: Mapping[str, float]
    explanation: tuple[str, ...] = ()
    reasons: Mapping[str, str] | None = None
    expected_conversions: float | None = None
    equal_split_expected_conversions: float | None = None
    earlier: EarlierCampaigns | None = None


@dataclass(frozen=True)
class DecisionFacts:
    status: Literal["approved", "autopilot", "rejected", "held"]
    amounts: Mapping[str, int]
    decided_by: str
    decided_at: datetime
    edited: bool = False
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class PushFacts:
    adapter: str
    status: str
    pushed_at: datetime
    changes: int
    failed: int = 0


@dataclass(frozen=True)
class CampaignFacts:
    name: str
    slug: str
    autopilot: bool
    creatives: tuple[Creative, ...]
    proposal: ProposalFacts | None
    decision: DecisionFacts | None
    current: Mapping[str, int]
    """What runs now per creative (last approved week, else an even split)."""
    current_is_estimate: bool
    push_at: datetime
    pushes: tuple[PushFacts, ...] = ()
    organic_views: int = 0
    """Organic views recorded for the week on the employee-made creatives."""
    organic_cpm_cents: int = DEFAULT_CPM_CENTS


# --- what comes out ----------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """One creative: what runs now, what is proposed, what was chosen, and the change."""

    name: str
    channel: str
    current_cents: int | None
    proposed_cents: int
    chosen_cents: int
    p_best: float | None
    reason: str

    @property
    def change_cents(self) -> int | None:
        return None if self.current_cents is None else self.chosen_cents - self.current_cents

    @property
    def change_share(self) -> float | None:
        if not self.current_cents:
            return None
        return (self.chosen_cents - self.current_cents) / self.current_cents


@dataclass(frozen=True)
class Expectation:
    """Expected candidates of the split against an equal split of the same budget."""

    expected: float
    equal_split: float

    @property
    def gain(self) -> float:
        return self.expected - self.equal_split

    @property
    def gain_share(self) -> float | None:
        return None if self.equal_split <= 0 else self.gain / self.equal_split


@dataclass(frozen=True)
class CampaignMemo:
    name: str
    slug: str
    state: State
    push_at: datetime
    push_passed: bool
    moves: tuple[Move, ...]
    current_is_estimate: bool
    why: tuple[str, ...]
    """The engine's explanation, creatives named."""
    expectation: Expectation | None
    prior: str | None
    """A sentence when earlier campaigns shaped the split, else None."""
    decided: str | None
    """Who decided and when, in a sentence (None while nobody did)."""
    waiting_reasons: tuple[str, ...]
    pushes: tuple[PushFacts, ...]

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def waits(self) -> bool:
        return self.state in ("waiting", "held")

    @property
    def moved_cents(self) -> int:
        """Money that changed creative: the sum of the raises."""
        return sum(max(m.change_cents or 0, 0) for m in self.moves)


@dataclass(frozen=True)
class DecisionDue:
    campaign: str
    slug: str
    deadline: datetime
    passed: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class PushLine:
    campaign: str
    adapter: str
    status: str
    pushed_at: datetime
    changes: int
    failed: int

    @property
    def adapter_label(self) -> str:
        return ADAPTER_LABELS.get(self.adapter, self.adapter)

    @property
    def status_label(self) -> str:
        return PUSH_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class Memo:
    tenant: str
    week: str
    monday: date
    sunday: date
    previous_week: str
    next_week: str
    campaigns: tuple[CampaignMemo, ...]
    """Campaigns with a proposal for the week, those waiting first."""
    without_proposal: tuple[str, ...]
    to_decide: tuple[DecisionDue, ...]
    autopilot: tuple[str, ...]
    pushed: tuple[PushLine, ...]
    priors: tuple[tuple[str, str], ...]
    """(campaign, sentence) where earlier campaigns shaped the split."""
    organic: tuple[tuple[str, str], ...] = ()
    """(campaign, sentence): employee-made content's organic views and their value."""
    actions: tuple[EmployerAction, ...] | None = None
    """The employer's next best actions now; None when they were not gathered (one
    campaign's memo) or could not be read."""
    channel_answers: str | None = None
    """Which channel gets answers, in a sentence; None without contact facts."""

    @property
    def subject(self) -> str:
        # One line whatever the employer's name holds: a header cannot carry a newline.
        return f"Koers weekmemo {self.week} · {' '.join(self.tenant.split())}"

    @property
    def headline(self) -> str:
        if not self.campaigns:
            return f"Geen voorstellen voor {self.week}: niets te beslissen."
        if not self.to_decide:
            return "Niets te beslissen: elke verdeling van deze week is besloten."
        count = dutch.plural(len(self.to_decide), "campagne wacht", "campagnes wachten")
        return f"{count} op je beslissing."

    @property
    def expected_total(self) -> Expectation | None:
        found = [c.expectation for c in self.campaigns if c.expectation is not None]
        if not found:
            return None
        return Expectation(sum(e.expected for e in found), sum(e.equal_split for e in found))


# --- building it -------------------------------------------------------------------------


def build_memo(
    *,
    tenant: str,
    week: str,
    campaigns: Sequence[CampaignFacts],
    now: datetime,
    actions: Sequence[EmployerAction] | None = None,
    channel_replies: Sequence[ChannelReplies] | None = None,
) -> Memo:
    """The memo of ``week`` for one employer, from what is stored and, when given, the
    employer's next best actions and replies per contact channel now (pure)."""
    monday = week_monday(week)
    built = [_campaign(c, now) for c in campaigns if c.proposal is not None]
    order = {"held": 0, "waiting": 1, "autopilot": 2, "approved": 3, "rejected": 4}
    built.sort(key=lambda c: (order.get(c.state, 5), c.push_at, c.name))
    return Memo(
        tenant=tenant,
        week=week,
        monday=monday,
        sunday=monday + timedelta(days=6),
        previous_week=shift_week(week, -1),
        next_week=shift_week(week, 1),
        campaigns=tuple(built),
        without_proposal=tuple(sorted(c.name for c in campaigns if c.proposal is None)),
        to_decide=tuple(
            DecisionDue(c.name, c.slug, c.push_at, c.push_passed, c.waiting_reasons)
            for c in built
            if c.waits
        ),
        autopilot=tuple(line for c in built if (line := _autopilot_line(c)) is not None),
        pushed=tuple(
            PushLine(c.name, p.adapter, p.status, p.pushed_at, p.changes, p.failed)
            for c in built
            for p in c.pushes
        ),
        priors=tuple((c.name, c.prior) for c in built if c.prior is not None),
        organic=tuple(
            (c.name, organic_sentence(c.organic_views, c.organic_cpm_cents))
            for c in sorted(campaigns, key=lambda c: c.name)
            if c.organic_views > 0
        ),
        actions=None if actions is None else tuple(actions),
        channel_answers=None if channel_replies is None else channel_sentence(channel_replies),
    )


def channel_sentence(replies: Sequence[ChannelReplies]) -> str:
    """In Dutch: which contact channel gets answers, with each channel's reply rate and
    median time to the first contact (``WhatsApp krijgt het vaakst antwoord: …``)."""
    tried = [r for r in replies if r.attempted > 0]
    if not tried:
        return "Nog geen contactpogingen vastgelegd: welk kanaal antwoord krijgt, volgt."
    tried.sort(key=lambda r: (-(r.rate or 0.0), -r.attempted, r.channel))

    def figures(r: ChannelReplies) -> str:
        line = (
            f"{CHANNEL_NAMES_NL.get(r.channel, r.channel)} {r.replied} van {r.attempted} "
            f"({dutch.percent(r.rate or 0.0)})"
        )
        if r.median_hours is not None:
            line += f", eerste contact na {dutch.hours(r.median_hours)}"
        return line

    listed = "; ".join(figures(r) for r in tried)
    leader, rest = tried[0], tried[1:]
    clear = leader.attempted >= REPLIES_TO_COMPARE and (
        not rest or (leader.rate or 0.0) > (rest[0].rate or 0.0)
    )
    if not clear:
        return f"Nog te weinig om kanalen te vergelijken: {listed}."
    name = CHANNEL_NAMES_NL.get(leader.channel, leader.channel)
    return f"{name} krijgt het vaakst antwoord: {listed}."


def organic_sentence(views: int, cpm_cents: int) -> str:
    """``12.500 organische weergaven van eigen content, € 100,00 waard bij een CPM van € 8,00``."""
    value = media_value_cents(views, cpm_cents)
    return (
        f"{dutch.number(views, 0)} organische weergaven van eigen content van medewerkers, "
        f"{dutch.money(value)} waard bij een CPM van {dutch.money(cpm_cents)}"
    )


def _campaign(facts: CampaignFacts, now: datetime) -> CampaignMemo:
    proposal = facts.proposal
    assert proposal is not None
    names = {c.variant_id: c.name for c in facts.creatives}
    channels = {c.variant_id: c.channel for c in facts.creatives}
    decision = facts.decision
    chosen = (
        decision.amounts
        if decision is not None and decision.status in ("approved", "autopilot")
        else proposal.allocation
    )
    reasons = proposal.reasons or {}
    moves = tuple(
        Move(
            name=names.get(variant_id, "creative buiten deze campagne"),
            channel=channels.get(variant_id, ""),
            current_cents=facts.current.get(variant_id),
            proposed_cents=amount,
            chosen_cents=chosen.get(variant_id, amount),
            p_best=proposal.p_best.get(variant_id),
            reason=name_creatives(reasons.get(variant_id, ""), names),
        )
        for variant_id, amount in proposal.allocation.items()
    )
    state: State = "waiting" if decision is None else decision.status
    return CampaignMemo(
        name=facts.name,
        slug=facts.slug,
        state=state,
        push_at=facts.push_at,
        push_passed=now >= facts.push_at,
        moves=moves,
        current_is_estimate=facts.current_is_estimate,
        why=tuple(name_creatives(s, names) for s in proposal.explanation if s),
        expectation=_expectation(proposal),
        prior=None if proposal.earlier is None else prior_sentence(proposal.earlier),
        decided=_decided(decision),
        waiting_reasons=decision.reasons if decision and decision.status == "held" else (),
        pushes=facts.pushes,
    )


def _expectation(proposal: ProposalFacts) -> Expectation | None:
    expected, equal = proposal.expected_conversions, proposal.equal_split_expected_conversions
    if expected is None or equal is None or (expected <= 0 and equal <= 0):
        return None  # no evidence yet: the engine claims nothing, neither do we
    return Expectation(expected, equal)


def _decided(decision: DecisionFacts | None) -> str | None:
    if decision is None:
        return None
    at = dutch.moment(decision.decided_at)
    if decision.status == "autopilot":
        return f"Toegepast door autopilot op {at}."
    if decision.status == "held":
        who = "autopilot" if decision.decided_by == AUTOPILOT_ACTOR else decision.decided_by
        return f"Teruggelegd door {who} op {at}."
    verb = "Goedgekeurd" if decision.status == "approved" else "Afgewezen"
    edited = ", met aangepaste bedragen" if decision.edited else ""
    return f"{verb} door {decision.decided_by} op {at}{edited}."


def _autopilot_line(campaign: CampaignMemo) -> str | None:
    if campaign.state == "autopilot":
        return (
            f"{campaign.name}: de voorgestelde verdeling bleef binnen de vangrails en is "
            "toegepast; terugdraaien kan tot het pushmoment."
        )
    if campaign.state == "held" and campaign.decided and "autopilot" in campaign.decided:
        why = f" ({campaign.waiting_reasons[0]})" if campaign.waiting_reasons else ""
        return (
            f"{campaign.name}: niet toegepast, de verdeling viel buiten de vangrails{why}; "
            "hij wacht op jouw goedkeuring."
        )
    return None


def prior_sentence(earlier: EarlierCampaigns) -> str:
    """In Dutch: how much the employer's earlier campaigns shaped the split."""
    campaigns = dutch.plural(earlier.campaigns, "eerdere campagne", "eerdere campagnes")
    creatives = dutch.plural(earlier.creatives, "creative", "creatives")
    sentence = (
        f"Een startpunt uit {campaigns} ({creatives} met resultaten) bepaalde mee waar elke "
        f"creative begint: het telt voor {dutch.percent(earlier.weight)} mee in de schattingen "
        "per kanaal"
    )
    if earlier.disagreement > DISAGREEMENT_NOTICEABLE:
        sentence += ", minder dan anders omdat de resultaten van deze campagne ervan afwijken"
    return sentence + "."


def name_creatives(sentence: str, names: Mapping[str, str]) -> str:
    """``sentence`` with every creative id that stands as a word replaced by its name."""
    if not sentence or not names:
        return sentence
    ids = sorted(names, key=len, reverse=True)  # longest first: "ig-2" before "ig"
    # Not inside parentheses: there the engine names a channel ("ig (instagram)"), and a
    # creative whose id is its channel's name would otherwise be named twice.
    alternatives = "|".join(re.escape(i) for i in ids)
    pattern = re.compile(r"(?<![\w(-])(" + alternatives + r")(?![\w)-])")
    return pattern.sub(lambda m: names[m.group(1)], sentence)
