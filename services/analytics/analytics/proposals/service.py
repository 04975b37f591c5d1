"""The weekly proposal as a unit of work: read the facts, ask the engine, store, publish.

``propose_allocation`` runs in ONE write transaction: it locks the campaign, reads its
facts, builds the request (:mod:`analytics.proposals.domain`), calls the pure engine
(:func:`analytics.allocation.allocate`), stores the proposal in ``allocations`` and puts
``AllocationProposed`` in the outbox, so the proposal and its event commit together or
not at all.

Idempotency, by the fingerprint of the engine's request:

- same inputs as the stored proposal -> the stored one, unchanged, no event;
- changed inputs (late events restated a week, a creative was paused, the budget or
  guardrails changed) and the stored one is still ``proposed`` -> computed again as
  version n+1, stored in its place, and a new ``AllocationProposed`` is published;
- changed inputs but the stored one was approved or rejected -> refused
  (:class:`AllocationAlreadyDecided`): a decision is final; plan the next week instead.

``decide_allocation`` records a human's approval or rejection; it only changes the
status (nothing reaches an ad platform from here).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import Connection, Engine

from analytics.allocation import allocate
from analytics.catalog import repository as catalog
from analytics.catalog.domain import CampaignState, VariantAttributes
from analytics.errors import (
    AllocationAlreadyDecided,
    AllocationFailed,
    AllocationNotFound,
    CampaignNotFound,
    CannotPropose,
    InvalidWeek,
)
from analytics.facts import queries
from analytics.facts.domain import CampaignFunnel
from analytics.facts.repository import campaign_is_known
from analytics.proposals import domain as proposals
from analytics.proposals import repository
from analytics.proposals.repository import StoredAllocation
from koers.db import transaction
from koers.events import AllocationProposed, EarlierCampaigns, new_envelope, utcnow
from koers.isoweeks import shift_week, week_monday
from koers.messaging.outbox import add_to_outbox

SOURCE = "analytics"
Decision = Literal["approve", "reject"]
DECIDED_STATUS: dict[Decision, str] = {"approve": "approved", "reject": "rejected"}


@dataclass(frozen=True)
class ProposalOutcome:
    allocation: StoredAllocation
    created: bool
    """True when this call computed a new version (and published AllocationProposed)."""


def _checked_week(week: str) -> str:
    try:
        week_monday(week)
    except ValueError as exc:
        raise InvalidWeek(str(exc)) from exc
    return week


def _campaign_for_update(conn: Connection, campaign_id: str) -> CampaignState:
    if not campaign_is_known(conn, campaign_id):
        raise CampaignNotFound(f"analytics has no data for campaign {campaign_id!r}")
    campaign = catalog.campaign_state(conn, campaign_id, for_update=True)
    if campaign is None:
        raise CannotPropose(
            f"analytics has facts for campaign {campaign_id!r} but not its published state "
            "(creatives, budget, guardrails) yet; publish the campaign and try again"
        )
    if campaign.status == "paused":
        raise CannotPropose(f"campaign {campaign_id!r} is paused; resume it to plan a week")
    return campaign


def _previous_allocation(conn: Connection, campaign_id: str, week: str) -> dict[str, float]:
    """Last week's stored amounts, unless that proposal was rejected (it never ran)."""
    previous = repository.allocation_for(conn, campaign_id, shift_week(week, -1))
    if previous is None or previous.status == "rejected":
        return {}
    allocation = previous.response.get("allocation") or {}
    return {str(variant): float(amount) for variant, amount in allocation.items()}


def _tenant_settled(
    conn: Connection, campaign: CampaignState, week: str
) -> proposals.SettledCounts | None:
    """Settled leads and slow-goal conversions over every campaign of the tenant."""
    counter = campaign.conversion_counter
    if counter not in proposals.SLOW_GOAL_SETTLE_WEEKS:
        return None
    total = proposals.SettledCounts()
    for campaign_id in catalog.tenant_campaign_ids(conn, campaign.tenant_id):
        funnel = queries.funnel_in(conn, campaign_id, queries.WeekRange())
        total += proposals.settled_counts(funnel, week, counter)
    return total


def _earlier_campaigns(
    conn: Connection, campaign: CampaignState
) -> list[tuple[str, dict[str, VariantAttributes], CampaignFunnel]]:
    """The tenant's other campaigns with their creatives and facts, most recent first."""
    found = []
    for campaign_id in catalog.tenant_campaign_ids(conn, campaign.tenant_id):
        if campaign_id == campaign.campaign_id:
            continue
        funnel = queries.funnel_in(conn, campaign_id, queries.WeekRange())
        last = max((w for v in funnel.variants for w, _ in v.weeks), default=None)
        if last is None:
            continue
        attributes = {a.variant_id: a for a in catalog.variant_attributes(conn, campaign_id)}
        found.append((last, campaign_id, attributes, funnel))
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [(campaign_id, attributes, funnel) for _, campaign_id, attributes, funnel in found]


def propose_allocation(
    engine: Engine,
    campaign_id: str,
    week: str,
    *,
    budget: Decimal | None = None,
    now: datetime | None = None,
) -> ProposalOutcome:
    """Compute (or return the stored) proposal of ``week``; see the module docstring."""
    week = _checked_week(week)
    with transaction(engine) as conn:
        campaign = _campaign_for_update(conn, campaign_id)
        try:
            proposal = proposals.build_request(
                campaign,
                {a.variant_id: a for a in catalog.variant_attributes(conn, campaign_id)},
                queries.funnel_in(conn, campaign_id, queries.WeekRange()),
                week=week,
                budget=budget,
                previous_allocation=_previous_allocation(conn, campaign_id, week),
                tenant_settled=_tenant_settled(conn, campaign, week),
                earlier=_earlier_campaigns(conn, campaign),
            )
        except proposals.NoEligibleVariants as exc:
            raise CannotPropose(
                f"{exc}: every creative is paused or retired; make one live first"
            ) from exc
        except ValueError as exc:  # pydantic's ValidationError included
            raise AllocationFailed(f"the stored facts do not make a valid request: {exc}") from exc
        stored = repository.allocation_for(conn, campaign_id, week, for_update=True)
        fingerprint = proposal.fingerprint
        if stored is not None and stored.inputs_fingerprint == fingerprint:
            return ProposalOutcome(stored, created=False)
        if stored is not None and stored.status != "proposed":
            raise AllocationAlreadyDecided(
                f"the allocation of {week} was {stored.status} by {stored.decided_by}; it is "
                "final even though the facts have changed since. Plan the next week instead",
                allocation_status=stored.status,
            )
        try:
            response = allocate(proposal.request)
        except (ArithmeticError, ValueError) as exc:
            raise AllocationFailed(f"the engine could not answer this request: {exc}") from exc
        envelope = new_envelope(
            AllocationProposed(
                week=week,
                budget=proposal.request.budget,
                allocation=response.allocation,
                p_best=response.p_best,
                explanation=tuple(response.explanation),
                max_change_exempt=tuple(
                    v.variant_id for v in response.variants if not v.max_change_holds
                ),
                reasons={line.variant_id: line.reason for line in response.variants},
                expected_conversions=response.expected_conversions,
                equal_split_expected_conversions=response.equal_split_expected_conversions,
                earlier_campaigns=None
                if response.earlier_campaigns is None
                else EarlierCampaigns(**response.earlier_campaigns.model_dump()),
            ),
            source=SOURCE,
            tenant_id=campaign.tenant_id,
            campaign_id=campaign_id,
        )
        allocation = StoredAllocation(
            campaign_id=campaign_id,
            week=week,
            version=stored.version + 1 if stored is not None else 1,
            status="proposed",
            budget=Decimal(str(proposal.request.budget)),
            conversion=proposal.conversion,
            inputs_fingerprint=fingerprint,
            request=proposal.request.model_dump(mode="json"),
            response=response.model_dump(mode="json"),
            event_id=str(envelope.event_id),
            proposed_at=now or utcnow(),
            basis=None
            if proposal.stand_in is None
            else {**asdict(proposal.stand_in), "sentence": proposal.stand_in.sentence()},
        )
        repository.save_allocation(conn, allocation)
        add_to_outbox(conn, envelope)
        return ProposalOutcome(allocation, created=True)


def stored_allocation(engine: Engine, campaign_id: str, week: str) -> StoredAllocation:
    """The stored proposal of ``week``; CampaignNotFound / AllocationNotFound otherwise."""
    week = _checked_week(week)
    with engine.connect() as conn:
        if not campaign_is_known(conn, campaign_id):
            raise CampaignNotFound(f"analytics has no data for campaign {campaign_id!r}")
        stored = repository.allocation_for(conn, campaign_id, week)
    if stored is None:
        raise AllocationNotFound(
            f"no allocation has been proposed for campaign {campaign_id!r} in {week}"
        )
    return stored


def decide_allocation(
    engine: Engine,
    campaign_id: str,
    week: str,
    *,
    decision: Decision,
    by: str,
    note: str | None = None,
    now: datetime | None = None,
) -> StoredAllocation:
    """Approve or reject the stored proposal; repeating the same decision changes nothing."""
    week = _checked_week(week)
    target = DECIDED_STATUS[decision]
    with transaction(engine) as conn:
        if not campaign_is_known(conn, campaign_id):
            raise CampaignNotFound(f"analytics has no data for campaign {campaign_id!r}")
        stored = repository.allocation_for(conn, campaign_id, week, for_update=True)
        if stored is None:
            raise AllocationNotFound(
                f"no allocation has been proposed for campaign {campaign_id!r} in {week}"
            )
        if stored.status == target:
            return stored
        if stored.status != "proposed":
            raise AllocationAlreadyDecided(
                f"the allocation of {week} was already {stored.status} by {stored.decided_by}"
            )
        when = now or utcnow()
        repository.record_allocation_decision(
            conn,
            campaign_id=campaign_id,
            week=week,
            status=target,
            decided_by=by,
            note=note,
            decided_at=when,
        )
    return replace(stored, status=target, decided_by=by, decision_note=note, decided_at=when)
