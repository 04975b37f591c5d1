"""The weekly loop's use cases: decide on a proposal, let autopilot decide, push the split.

Each function takes the caller's ``Connection`` (one transaction: the decision, its
audit row and the push result commit together) and ``now`` (an injectable clock).

Nothing reaches an adapter unless the campaign's week has a decision of status
``approved`` (a person) or ``autopilot`` (within the guardrails): :func:`push_campaign`
refuses anything else, and :func:`push_due` only looks at such decisions.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from sqlalchemy import Connection, Engine

from campaigns.audit import repository as audit
from campaigns.catalog import repository as catalog_repo
from campaigns.catalog.domain import Campaign, Variant
from campaigns.decisions import repository as repo
from campaigns.decisions.domain import (
    PUSHABLE,
    Breach,
    DecisionStatus,
    SplitLine,
    check_split,
    euros,
    even_split,
    signed_euros,
    to_cents,
)
from campaigns.decisions.repository import StoredDecision, StoredPush
from campaigns.delivery import (
    AdPlatformAdapter,
    BudgetPlan,
    CreativeBudget,
    PlatformIds,
    PushResult,
    bulk_filename,
    dry_run,
)
from campaigns.delivery.csv_bulk import FORMATS, render_bulk_file
from campaigns.delivery.domain import Channel, plan_changes
from campaigns.errors import CampaignsError
from campaigns.insights.analytics_client import (
    AllocationProposal,
    AnalyticsRefused,
    AnalyticsUnavailable,
)
from campaigns.web.i18n import N_
from koers.db import transaction
from koers.web import Conflict

log = logging.getLogger(__name__)

AUTOPILOT = "autopilot"
"""How the audit log names autopilot."""
SCHEDULER = "scheduler"
"""How the audit log names the push job."""
OBJECT_TYPE = "allocation"


class DecisionRefused(CampaignsError, Conflict):
    """The decision or push cannot be made (nothing waits, already pushed, too late)."""

    title = "That decision is not possible now"


class GuardrailsBroken(CampaignsError):
    """Edited amounts leave the campaign's guardrails; ``breaches`` says which and by how much."""

    status = 422
    title = "The amounts leave the guardrails"

    def __init__(self, breaches: Sequence[Breach]) -> None:
        super().__init__(" ".join(b.message for b in breaches))
        self.breaches = tuple(breaches)


class Delivery(Protocol):
    """The adapters a push goes through for a tenant: ``csv`` always, ``meta`` when the
    tenant stored a Meta token. Built once, in ``create_app``; a test passes a fake."""

    def adapters(self, conn: Connection, tenant_id: str) -> list[AdPlatformAdapter]: ...


def object_id(campaign_id: str, week: str) -> str:
    return f"{campaign_id}:{week}"


def idempotency_key(tenant_id: str, campaign_id: str, week: str) -> str:
    return f"{tenant_id}:{campaign_id}:{week}"


# --- what a split is made of ----------------------------------------------------------------


def proposal_cents(proposal: AllocationProposal) -> dict[str, int]:
    return {variant: to_cents(amount) for variant, amount in proposal.allocation.items()}


def current_amounts(
    conn: Connection, campaign: Campaign, week: str, variant_ids: Sequence[str]
) -> tuple[dict[str, int], bool]:
    """What runs now per creative, and whether it is only an estimate: the last approved
    or autopilot week's amounts, else the campaign's budget split evenly."""
    last = repo.last_pushable_before(conn, campaign.id, week)
    if last is not None:
        return dict(last.amounts), False
    return even_split(to_cents(campaign.weekly_budget), list(variant_ids)), True


def split_lines(
    amounts: Mapping[str, int],
    variants: Sequence[Variant],
    last_week: Mapping[str, int] | None,
    max_change_exempt: Collection[str] = (),
) -> list[SplitLine]:
    by_id = {v.variant_id: v for v in variants}
    return [
        SplitLine(
            variant_id=variant_id,
            name=by_id[variant_id].name if variant_id in by_id else variant_id,
            channel=by_id[variant_id].channel if variant_id in by_id else "unknown",
            amount_cents=cents,
            last_week_cents=None if last_week is None else last_week.get(variant_id),
            max_change_holds=variant_id not in max_change_exempt,
        )
        for variant_id, cents in amounts.items()
    ]


def check_amounts(
    conn: Connection,
    campaign: Campaign,
    week: str,
    amounts: Mapping[str, int],
    variants: Sequence[Variant],
    max_change_exempt: Collection[str] = (),
) -> list[Breach]:
    """The guardrails ``amounts`` would break for ``week`` (empty: within them).

    ``max_change_exempt``: the proposal's creatives the engine's max-change rule does not
    hold, so a person's or autopilot's check agrees with the engine that proposed it.
    """
    last = repo.last_pushable_before(conn, campaign.id, week)
    lines = split_lines(
        amounts, variants, None if last is None else last.amounts, max_change_exempt
    )
    return check_split(
        lines, budget_cents=to_cents(campaign.weekly_budget), guardrails=campaign.guardrails
    )


def _named(amounts: Mapping[str, int], variants: Sequence[Variant]) -> dict[str, str]:
    names = {v.variant_id: v.name for v in variants}
    return {names.get(v, v): euros(c) for v, c in amounts.items()}


def _summary(
    verb: str,
    campaign: Campaign,
    week: str,
    amounts: Mapping[str, int],
    current: Mapping[str, int] | None,
    variants: Sequence[Variant],
) -> str:
    names = {v.variant_id: v.name for v in variants}
    parts = []
    for variant_id, cents in amounts.items():
        before = None if current is None else current.get(variant_id)
        move = "" if before is None else f" ({signed_euros(cents - before)})"
        parts.append(f"{names.get(variant_id, variant_id)} {euros(cents)}{move}")
    return f"{verb} the split of “{campaign.name}” for {week}: " + ", ".join(parts) + "."


# --- deciding ---------------------------------------------------------------------------------


def record_decision(
    conn: Connection,
    *,
    campaign: Campaign,
    week: str,
    proposal: AllocationProposal,
    status: DecisionStatus,
    amounts: Mapping[str, int] | None,
    actor: str,
    now: datetime,
    note: str = "",
    reasons: Sequence[str] = (),
) -> StoredDecision:
    """Store the decision on ``week`` and audit it, named by campaign and creatives.

    ``amounts`` None means "as proposed". A decision that was pushed is final.
    """
    existing = repo.decision_for(conn, campaign.id, week)
    if existing is not None and existing.pushable and _pushed(conn, campaign, week):
        raise DecisionRefused(
            f"The split of “{campaign.name}” for {week} was already pushed; it cannot change."
        )
    variants = catalog_repo.variants_of(conn, campaign.id)
    proposed = proposal_cents(proposal)
    chosen = dict(amounts) if amounts is not None else dict(proposed)
    current, _ = current_amounts(conn, campaign, week, list(proposed))
    decision = StoredDecision(
        campaign_id=campaign.id,
        week=week,
        tenant_id=campaign.tenant_id,
        status=status,
        amounts=chosen,
        proposed=proposed,
        edited=chosen != proposed,
        decided_by=actor,
        decided_at=now,
        note=note,
        reasons=tuple(reasons),
        proposal_version=proposal.version,
    )
    repo.save_decision(conn, decision)
    verb = {
        "approved": "Approved (edited)" if decision.edited else "Approved",
        "autopilot": "Autopilot applied",
        "rejected": "Rejected",
        "held": "Held for approval",
    }[status]
    after: dict[str, Any] = {
        "summary": _summary(verb, campaign, week, chosen, current, variants),
        "campaign": campaign.name,
        "week": week,
        "status": status,
        "amounts": _named(chosen, variants),
    }
    if decision.edited:
        after["proposed"] = _named(proposed, variants)
    if note:
        after["note"] = note
    if reasons:
        after["reasons"] = list(reasons)
    before = None
    if existing is not None:
        before = {"status": existing.status, "amounts": _named(existing.amounts, variants)}
    action = {
        "approved": "allocation_approved",
        "autopilot": "allocation_autopilot_applied",
        "rejected": "allocation_rejected",
        "held": "allocation_held",
    }[status]
    audit.record(
        conn,
        tenant_id=campaign.tenant_id,
        actor=actor,
        action=action,
        object_type=OBJECT_TYPE,
        object_id=object_id(campaign.id, week),
        before=before,
        after=after,
        at=now,
    )
    return decision


def approve_edited(
    conn: Connection,
    *,
    campaign: Campaign,
    week: str,
    proposal: AllocationProposal,
    amounts: Mapping[str, int],
    actor: str,
    now: datetime,
    note: str = "",
) -> StoredDecision:
    """Approve ``amounts`` (the proposal's creatives, possibly edited) after re-checking the
    guardrails; GuardrailsBroken names each rule broken and by how much."""
    unknown = sorted(set(amounts) - set(proposal.allocation))
    missing = sorted(set(proposal.allocation) - set(amounts))
    if unknown or missing:
        raise DecisionRefused(
            "The amounts do not match the proposal's creatives "
            f"(unknown: {', '.join(unknown) or 'none'}; missing: {', '.join(missing) or 'none'})."
        )
    variants = catalog_repo.variants_of(conn, campaign.id)
    if dict(amounts) != proposal_cents(proposal):
        breaches = check_amounts(
            conn, campaign, week, amounts, variants, proposal.max_change_exempt
        )
        if breaches:
            raise GuardrailsBroken(breaches)
    return record_decision(
        conn,
        campaign=campaign,
        week=week,
        proposal=proposal,
        status="approved",
        amounts=amounts,
        actor=actor,
        now=now,
        note=note,
    )


ANALYTICS_DOWN = N_(
    "The decision could not be recorded: analytics is not answering. Nothing was changed; "
    "please try again later."
)


class DecisionTaker(Protocol):
    """Where a decision is recorded first: analytics, which applies approved splits."""

    def decide_allocation(
        self,
        campaign_id: str,
        week: str,
        *,
        decision: Literal["approved", "rejected"],
        decided_by: str,
        note: str,
    ) -> AllocationProposal | None: ...


def decide(
    engine: Engine,
    analytics: DecisionTaker,
    *,
    campaign: Campaign,
    week: str,
    proposal: AllocationProposal,
    verdict: Literal["approved", "rejected"],
    amounts: Mapping[str, int] | None,
    actor: str,
    decided_by: str,
    now: datetime,
    note: str = "",
) -> StoredDecision:
    """A person's decision, from any screen: analytics first, then stored and audited here.

    Analytics takes it first so the audit log never claims a decision analytics does not
    know. ``proposal`` is the one the person saw; ``amounts`` None means "as proposed";
    edited amounts are re-checked against the guardrails (:class:`GuardrailsBroken`)
    before anything is sent. A decision analytics refuses or cannot take raises
    :class:`DecisionRefused` saying why; nothing changed.
    """
    edited = (
        verdict == "approved" and amounts is not None and dict(amounts) != proposal_cents(proposal)
    )
    if edited and amounts is not None:
        with engine.connect() as conn:
            variants = catalog_repo.variants_of(conn, campaign.id)
            breaches = check_amounts(
                conn, campaign, week, amounts, variants, proposal.max_change_exempt
            )
        if breaches:
            raise GuardrailsBroken(breaches)
    full_note = ("Approved with edited amounts. " if edited else "") + note
    try:
        decided = analytics.decide_allocation(
            campaign.id, week, decision=verdict, decided_by=decided_by, note=full_note.strip()
        )
    except AnalyticsRefused as exc:
        raise DecisionRefused(f"Analytics refused: {exc.detail}") from exc
    except AnalyticsUnavailable as exc:
        raise DecisionRefused(ANALYTICS_DOWN) from exc
    if decided is None:
        raise DecisionRefused(
            f"Analytics has no proposal for {week} to decide on. Nothing was changed."
        )
    with transaction(engine) as conn:
        if verdict == "approved" and amounts is not None:
            return approve_edited(
                conn,
                campaign=campaign,
                week=week,
                proposal=decided,
                amounts=amounts,
                actor=actor,
                now=now,
                note=note,
            )
        return record_decision(
            conn,
            campaign=campaign,
            week=week,
            proposal=decided,
            status=verdict,
            amounts=None,
            actor=actor,
            now=now,
            note=note,
        )


def record_proposal_arrived(
    conn: Connection,
    campaign: Campaign,
    week: str,
    payload: Mapping[str, Any],
    now: datetime,
    *,
    actor: str = "analytics",
) -> None:
    """Audit a proposal analytics made (by its weekly job, or when ``actor`` asked), named."""
    variants = catalog_repo.variants_of(conn, campaign.id)
    amounts = {str(k): to_cents(v) for k, v in (payload.get("allocation") or {}).items()}
    audit.record(
        conn,
        tenant_id=campaign.tenant_id,
        actor=actor,
        action="allocation_proposed",
        object_type=OBJECT_TYPE,
        object_id=object_id(campaign.id, week),
        before=None,
        after={
            "summary": f"Analytics proposed a split of “{campaign.name}” for {week}: "
            + ", ".join(f"{n} {a}" for n, a in _named(amounts, variants).items())
            + ".",
            "campaign": campaign.name,
            "week": week,
            "amounts": _named(amounts, variants),
        },
        at=now,
    )


# --- autopilot --------------------------------------------------------------------------------

AutopilotVerdict = Literal["applied", "held"]


@dataclass(frozen=True)
class AutopilotOutcome:
    campaign_id: str
    campaign_name: str
    week: str
    verdict: AutopilotVerdict
    reasons: tuple[str, ...] = ()


def stored_proposal(conn: Connection, campaign_id: str, week: str) -> AllocationProposal | None:
    """The proposal as analytics announced it (``AllocationProposed``), kept in our database."""
    payload = repo.allocation_proposal(conn, campaign_id, week)
    if payload is None:
        return None
    return AllocationProposal.model_validate({"campaign_id": campaign_id, **payload})


def apply_autopilot(
    conn: Connection, tenant_id: str, week: str, now: datetime
) -> list[AutopilotOutcome]:
    """Decide ``week`` for every live autopilot campaign of the tenant that has a proposal
    and no decision yet: applied when the split stays within the guardrails, otherwise held
    for a person with the reasons. Idempotent: a decided week is left alone (so is one a
    person took back from autopilot)."""
    outcomes = []
    for campaign in catalog_repo.campaigns_of_tenant(conn, tenant_id, status="live"):
        if not campaign.guardrails.autopilot:
            continue
        if repo.decision_for(conn, campaign.id, week) is not None:
            continue
        proposal = stored_proposal(conn, campaign.id, week)
        if proposal is None:
            continue
        variants = catalog_repo.variants_of(conn, campaign.id)
        breaches = check_amounts(
            conn, campaign, week, proposal_cents(proposal), variants, proposal.max_change_exempt
        )
        live = {v.variant_id for v in variants if v.live and not v.archived}
        reasons = [b.message for b in breaches]
        reasons += [
            f"{name}: the creative is no longer live."
            for variant_id, name in ((v.variant_id, v.name) for v in variants)
            if variant_id in proposal.allocation and variant_id not in live
        ]
        if reasons:
            record_decision(
                conn,
                campaign=campaign,
                week=week,
                proposal=proposal,
                status="held",
                amounts=None,
                actor=AUTOPILOT,
                now=now,
                reasons=["Autopilot did not apply this split: " + reasons[0], *reasons[1:]],
            )
            outcomes.append(
                AutopilotOutcome(campaign.id, campaign.name, week, "held", tuple(reasons))
            )
        else:
            record_decision(
                conn,
                campaign=campaign,
                week=week,
                proposal=proposal,
                status="autopilot",
                amounts=None,
                actor=AUTOPILOT,
                now=now,
            )
            outcomes.append(AutopilotOutcome(campaign.id, campaign.name, week, "applied"))
    return outcomes


def undo_autopilot(
    conn: Connection, *, campaign: Campaign, week: str, actor: str, now: datetime
) -> StoredDecision:
    """Take autopilot's decision back before the push time: the week waits for a person."""
    decision = repo.decision_for(conn, campaign.id, week)
    if decision is None or decision.status != "autopilot":
        raise DecisionRefused(f"Autopilot did not decide “{campaign.name}” for {week}.")
    if now >= repo.push_time_of(conn, campaign.id).moment(week) or _pushed(conn, campaign, week):
        raise DecisionRefused(
            f"The push time of “{campaign.name}” for {week} has passed; it can no longer be undone."
        )
    proposal = AllocationProposal(
        campaign_id=campaign.id,
        week=week,
        allocation={v: c / 100 for v, c in decision.proposed.items()},
        version=decision.proposal_version,
    )
    return record_decision(
        conn,
        campaign=campaign,
        week=week,
        proposal=proposal,
        status="held",
        amounts=decision.amounts,
        actor=actor,
        now=now,
        reasons=[f"{actor} undid autopilot's decision; the split waits for approval."],
    )


# --- pushing ----------------------------------------------------------------------------------


def _pushed(conn: Connection, campaign: Campaign, week: str) -> bool:
    key = idempotency_key(campaign.tenant_id, campaign.id, week)
    return any(p.kind == "push" for p in repo.pushes_of(conn, key))


def budget_plan(conn: Connection, campaign: Campaign, decision: StoredDecision) -> BudgetPlan:
    """The plan an adapter receives, from a pushable decision only."""
    if decision.status not in PUSHABLE:
        raise DecisionRefused(
            f"The split of “{campaign.name}” for {decision.week} is {decision.status}, "
            "not approved: nothing is pushed."
        )
    variants = {v.variant_id: v for v in catalog_repo.variants_of(conn, campaign.id)}
    ids = repo.platform_ids_of(conn, campaign.id)
    last = repo.last_pushable_before(conn, campaign.id, decision.week)
    creatives = []
    for variant_id, cents in decision.amounts.items():
        variant = variants.get(variant_id)
        creatives.append(
            CreativeBudget(
                variant_id=variant_id,
                name=variant.name if variant else variant_id,
                channel=_channel(variant.channel if variant else "indeed"),
                ids=ids.get(variant_id, PlatformIds()),
                new_weekly_cents=cents,
                current_weekly_cents=None if last is None else last.amounts.get(variant_id),
                paused=cents == 0,
            )
        )
    return BudgetPlan(
        tenant_id=campaign.tenant_id,
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        week=decision.week,
        creatives=tuple(creatives),
    )


def _channel(channel: str) -> Channel:
    return channel  # type: ignore[return-value]  # the catalog validates channels on input


def all_bulk_files(plan: BudgetPlan) -> dict[str, tuple[str, bytes]]:
    """platform -> (filename, bytes) for every platform the csv adapter knows, even one
    without a sendable row (its file then holds the header only, and the marketer sees
    why in the dry run)."""
    changes = plan_changes(plan)
    files: dict[str, tuple[str, bytes]] = {}
    for platform in FORMATS:
        mine = [c for c in changes if c.platform == platform]
        if mine:
            files[platform] = (
                bulk_filename(plan, platform),
                render_bulk_file(plan, platform, mine),
            )
    return files


def push_campaign(
    conn: Connection,
    *,
    campaign: Campaign,
    week: str,
    delivery: Delivery,
    actor: str,
    now: datetime,
    dry: bool = False,
    only: frozenset[str] | None = None,
) -> list[StoredPush]:
    """Push (or dry-run) the decided split of ``week`` through every adapter of the tenant.

    Stored per adapter under ``tenant:campaign:week``. A retry skips an adapter whose push
    was sent in full, and pushes the rest again (the Meta adapter reads before it writes,
    so a budget already set is not set twice). ``only`` limits the push to those adapters.
    """
    decision = repo.decision_for(conn, campaign.id, week)
    if decision is None or decision.status not in PUSHABLE:
        state = "has no decision" if decision is None else f"is {decision.status}"
        raise DecisionRefused(
            f"“{campaign.name}” {state} for {week}: only an approved or autopilot split is pushed."
        )
    plan = budget_plan(conn, campaign, decision)
    key = idempotency_key(campaign.tenant_id, campaign.id, week)
    done = {p.adapter for p in repo.pushes_of(conn, key) if p.kind == "push" and p.status == "sent"}
    stored = []
    for adapter in delivery.adapters(conn, campaign.tenant_id):
        if only is not None and adapter.name not in only:
            continue
        if dry:
            result = dry_run(adapter, plan, idempotency_key=key)
        elif adapter.name in done:
            continue
        else:
            result = adapter.push(plan, idempotency_key=key)
            if adapter.name == "csv":
                repo.save_files(
                    conn,
                    tenant_id=campaign.tenant_id,
                    campaign_id=campaign.id,
                    week=week,
                    files=all_bulk_files(plan),
                    at=now,
                )
        push = repo.save_push(
            conn,
            tenant_id=campaign.tenant_id,
            campaign_id=campaign.id,
            week=week,
            kind="dry_run" if dry else "push",
            result=result,
            pushed_by=actor,
            at=now,
        )
        stored.append(push)
        _audit_push(conn, campaign, week, result, push, actor, now)
    return stored


def _audit_push(
    conn: Connection,
    campaign: Campaign,
    week: str,
    result: PushResult,
    push: StoredPush,
    actor: str,
    now: datetime,
) -> None:
    counts: dict[str, int] = {}
    for outcome in result.outcomes:
        counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
    described = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(counts.items()))
    what = "Dry run" if push.kind == "dry_run" else "Push"
    audit.record(
        conn,
        tenant_id=campaign.tenant_id,
        actor=actor,
        action="delivery_dry_run" if push.kind == "dry_run" else "delivery_pushed",
        object_type=OBJECT_TYPE,
        object_id=object_id(campaign.id, week),
        before=None,
        after={
            "summary": f"{what} of “{campaign.name}” for {week} through {result.adapter}: "
            f"{result.status} ({described or 'nothing to change'}).",
            "campaign": campaign.name,
            "week": week,
            "adapter": result.adapter,
            "status": result.status,
            "attempt": push.attempts,
            "creatives": {
                o.change.variant_name: f"{o.outcome}{': ' + o.detail if o.detail else ''}"
                for o in result.outcomes
            },
        },
        at=now,
    )


def push_due(
    conn: Connection,
    now: datetime,
    *,
    delivery: Delivery,
    tenant_id: str | None = None,
    retry_limit: int = 5,
) -> list[StoredPush]:
    """Push every approved or autopilot split whose push time has passed: adapters not yet
    pushed, and those whose push failed for a reason that may pass (up to ``retry_limit``
    attempts). A push refused for good, or blocked for a missing id, waits for a person."""
    pushed: list[StoredPush] = []
    for decision in repo.pushable_decisions(conn):
        if tenant_id is not None and decision.tenant_id != tenant_id:
            continue
        if now < repo.push_time_of(conn, decision.campaign_id).moment(decision.week):
            continue
        key = idempotency_key(decision.tenant_id, decision.campaign_id, decision.week)
        previous = {p.adapter: p for p in repo.pushes_of(conn, key) if p.kind == "push"}
        wanted = [a.name for a in delivery.adapters(conn, decision.tenant_id)]
        pending = [
            name
            for name in wanted
            if name not in previous
            or (
                previous[name].attempts < retry_limit
                and any(o.get("outcome") == "failed" for o in previous[name].outcomes)
            )
        ]
        if not pending:
            continue
        campaign = catalog_repo.campaign_by_id(conn, decision.campaign_id)
        if campaign is None:
            continue
        pushed += push_campaign(
            conn,
            campaign=campaign,
            week=decision.week,
            delivery=delivery,
            actor=SCHEDULER,
            now=now,
            only=frozenset(pending),
        )
    return pushed
