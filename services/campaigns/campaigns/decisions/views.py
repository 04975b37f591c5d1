"""What the decisions page shows for one campaign, as values (pure).

Amounts in cents; the page formats them. A campaign's card is built from its creatives,
the proposal (analytics' live answer or the announced copy), what runs now, the stored
decision, push results and files, and the campaign's push time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from campaigns.catalog.domain import Campaign, Variant
from campaigns.decisions.domain import Breach, MoveRow, PushTime, to_cents
from campaigns.decisions.repository import StoredDecision, StoredFile, StoredPush
from campaigns.delivery.domain import PLATFORM_LABELS
from campaigns.insights.analytics_client import AllocationProposal
from campaigns.web.i18n import N_
from koers.phrases import Phrase

CardState = Literal["waiting", "held", "approved", "autopilot", "rejected", "no_proposal"]
STATE_LABELS: dict[str, str] = {
    "waiting": N_("waits for a decision"),
    "held": N_("waits for a decision"),
    "approved": N_("approved"),
    "autopilot": N_("applied by autopilot"),
    "rejected": N_("rejected"),
    "no_proposal": N_("no proposal yet"),
}
PROPOSAL_STATUSES = (N_("proposed"), N_("approved"), N_("rejected"))
"""A proposal's status in analytics' words, as the dashboard's panel shows it."""
PUSH_WORDS = (
    # What a push reports per ad-platform object (delivery.domain's Level and OutcomeKind),
    # marked here so the page can show them in the reader's language.
    N_("campaign"),
    N_("ad set"),
    N_("changed"),
    N_("already set"),
    N_("exported"),
    N_("refused"),
    N_("failed"),
    N_("blocked"),
    N_("dry run"),
)


@dataclass(frozen=True)
class FileLink:
    platform: str
    label: str
    filename: str


@dataclass(frozen=True)
class CampaignCard:
    campaign: Campaign
    week: str
    state: CardState
    push_time: PushTime
    push_at: datetime
    push_passed: bool
    proposal: AllocationProposal | None
    proposal_source: Literal["analytics", "event", "none"]
    decision: StoredDecision | None
    rows: tuple[MoveRow, ...]
    current_is_estimate: bool
    stale: tuple[str, ...]
    """Why the proposal no longer matches the campaign (budget, creatives, guardrails)."""
    guardrail_notes: tuple[str, ...]
    """The guardrails the proposal itself does not keep (the engine had to relax them)."""
    fatigue: tuple[str | Phrase, ...]
    data_health: tuple[str | Phrase, ...]
    pushes: tuple[StoredPush, ...]
    files: tuple[FileLink, ...]
    errors: tuple[str, ...] = ()
    edits: Mapping[str, str] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)
    """Creative ids to names, for the engine's sentences."""

    @property
    def waits(self) -> bool:
        return self.state in ("waiting", "held")

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def pushed(self) -> bool:
        return any(p.kind == "push" for p in self.pushes)

    @property
    def can_undo(self) -> bool:
        return self.state == "autopilot" and not self.push_passed and not self.pushed

    @property
    def total_cents(self) -> int:
        return sum(r.chosen_cents for r in self.rows)

    @property
    def total_current_cents(self) -> int | None:
        if any(r.current_cents is None for r in self.rows):
            return None
        return sum(r.current_cents or 0 for r in self.rows)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _reason(proposal: AllocationProposal, variant: str, name: str) -> str | Phrase:
    if variant in proposal.reason_phrases:
        return proposal.reason_phrases[variant]
    if variant in proposal.reasons:
        return proposal.reasons[variant]
    # The announced copy has no per-creative reasons: use the explanation's sentence
    # about the creative ("<id> goes up €40.00 to €340.00: ...").
    for sentence in proposal.explanation:
        if sentence.startswith(f"{variant} ") or sentence.startswith(f"{name} "):
            return sentence.split(": ", 1)[-1]
    return ""


def build_card(
    *,
    campaign: Campaign,
    week: str,
    variants: Sequence[Variant],
    proposal: AllocationProposal | None,
    proposal_source: Literal["analytics", "event", "none"],
    decision: StoredDecision | None,
    current: Mapping[str, int],
    current_is_estimate: bool,
    push_time: PushTime,
    now: datetime,
    proposal_breaches: Sequence[Breach],
    pushes: Sequence[StoredPush],
    files: Sequence[StoredFile],
    errors: Sequence[str] = (),
    edits: Mapping[str, str] | None = None,
) -> CampaignCard:
    names = {v.variant_id: v for v in variants}
    rows: list[MoveRow] = []
    if proposal is not None:
        for variant_id, amount in proposal.allocation.items():
            proposed = to_cents(amount)
            chosen = (
                decision.amounts.get(variant_id, proposed)
                if decision is not None and decision.status != "rejected"
                else proposed
            )
            cost = proposal.expected_cost_per_conversion.get(variant_id)
            variant = names.get(variant_id)
            name = variant.name if variant else variant_id
            rows.append(
                MoveRow(
                    variant_id=variant_id,
                    name=name,
                    channel=variant.channel if variant else "",
                    current_cents=current.get(variant_id),
                    proposed_cents=proposed,
                    chosen_cents=chosen,
                    p_best=proposal.p_best.get(variant_id),
                    cost_mean=_finite(cost.mean) if cost else None,
                    cost_low=_finite(cost.low) if cost else None,
                    cost_high=_finite(cost.high) if cost else None,
                    reason=_reason(proposal, variant_id, name),
                )
            )
    stale: list[str] = []
    if proposal is not None:
        budget = to_cents(campaign.weekly_budget)
        if to_cents(proposal.budget) != budget and proposal.budget > 0:
            stale.append(
                f"The weekly budget is now €{budget / 100:,.2f}; the proposal was made "
                f"for €{proposal.budget:,.2f}."
            )
        live = {v.variant_id for v in variants if v.live and not v.archived}
        if set(proposal.allocation) != live:
            stale.append("The live creatives changed since the proposal was made.")
    state: CardState
    if proposal is None:
        state = "no_proposal"
    elif decision is None:
        state = "waiting"
    else:
        state = decision.status
    texts = list(proposal.warnings) if proposal else []
    shown: list[str | Phrase] = list(texts)
    if proposal and len(proposal.warning_phrases) == len(texts):
        shown = list(proposal.warning_phrases)
    # Which warnings are about tiring creatives is read from the English text.
    tiring = [("fatigue" in w.lower() or "tiring" in w.lower()) for w in texts]
    fatigue = tuple(w for w, is_tiring in zip(shown, tiring, strict=True) if is_tiring)
    health = tuple(w for w, is_tiring in zip(shown, tiring, strict=True) if not is_tiring)
    push_at = push_time.moment(week)
    return CampaignCard(
        campaign=campaign,
        week=week,
        state=state,
        push_time=push_time,
        push_at=push_at,
        push_passed=now >= push_at,
        proposal=proposal,
        proposal_source=proposal_source,
        decision=decision,
        rows=tuple(rows),
        current_is_estimate=current_is_estimate,
        stale=tuple(stale),
        guardrail_notes=tuple(b.message for b in proposal_breaches),
        fatigue=fatigue,
        data_health=health,
        pushes=tuple(sorted(pushes, key=lambda p: (p.kind != "push", p.adapter))),
        files=tuple(
            FileLink(f.platform, PLATFORM_LABELS.get(f.platform, f.platform), f.filename)  # type: ignore[call-overload]
            for f in files
        ),
        errors=tuple(errors),
        edits=dict(edits or {}),
        names={v.variant_id: v.name for v in variants},
    )
