"""Asking analytics for a week's proposal and recording it here for a decision.

One use case for the console's "request a proposal" and the weekly job: analytics
computes the proposal (idempotently: with the same facts it answers with the stored one)
and publishes ``AllocationProposed``; the answer carries that event's id, so the proposal
is stored here at once, exactly as the allocations consumer stores the event. The
consumer then finds the same event already in place, and a proposal never waits for the
broker before a marketer can decide on it.

A new proposal is audited as the consumer audits one (``allocation_proposed``, named by
campaign and creative names), with who asked: the marketer, or the weekly job. A proposal
this service already holds (same event) changes nothing and is not audited again, so a
second run of the same week leaves the database as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine

from campaigns.catalog.domain import Campaign
from campaigns.decisions import repository
from campaigns.decisions import service as decisions
from campaigns.insights.analytics_client import AllocationProposal, AnalyticsUnavailable
from koers.db import transaction
from koers.events import AllocationProposed, EarlierCampaigns


class AllocationProposer(Protocol):
    """The part of analytics' client this use case needs."""

    def propose_allocation(self, campaign_id: str, week: str) -> AllocationProposal: ...


class ProposalReader(Protocol):
    """Reading the proposal analytics already holds, without computing one."""

    def allocation(self, campaign_id: str, week: str) -> AllocationProposal | None: ...


@dataclass(frozen=True)
class RequestedProposal:
    proposal: AllocationProposal
    new: bool
    """True when this service did not hold this proposal (this event) before."""


def request_proposal(
    engine: Engine,
    analytics: AllocationProposer,
    campaign: Campaign,
    week: str,
    *,
    actor: str,
    now: datetime,
) -> RequestedProposal:
    """Ask analytics for ``campaign``'s proposal of ``week``; store and audit it when new.

    Raises ``AnalyticsRefused`` (analytics cannot plan the campaign: no live creative,
    paused, or the week decided and the facts changed since) and ``AnalyticsUnavailable``.
    """
    proposal = analytics.propose_allocation(campaign.id, week)
    return store_proposal(engine, campaign, week, proposal, actor=actor, now=now)


def fetch_held_proposal(
    engine: Engine,
    analytics: ProposalReader,
    campaign: Campaign,
    week: str,
    *,
    actor: str,
    now: datetime,
) -> RequestedProposal | None:
    """Store the proposal analytics already holds for ``campaign``'s ``week`` (None when it
    holds none), without asking for a new one.

    For a run where Airflow, not this service, asked analytics: its ``AllocationProposed``
    event may still be on its way through the broker, and the step after planning must
    not wait for it. Reading the stored record gets exactly that event (same id), so the
    consumer finds it in place later; analytics computes nothing here, so the facts that
    arrived since the run cannot make a second version.
    """
    proposal = analytics.allocation(campaign.id, week)
    if proposal is None:
        return None
    return store_proposal(engine, campaign, week, proposal, actor=actor, now=now)


def store_proposal(
    engine: Engine,
    campaign: Campaign,
    week: str,
    proposal: AllocationProposal,
    *,
    actor: str,
    now: datetime,
) -> RequestedProposal:
    """Keep analytics' answer as the consumer keeps its event; audit it when it is new."""
    if proposal.event_id is None or proposal.proposed_at is None:
        raise AnalyticsUnavailable(
            "analytics did not say which AllocationProposed event its proposal is"
        )
    with transaction(engine) as conn:
        if repository.allocation_event_id(conn, campaign.id, week) == proposal.event_id:
            return RequestedProposal(proposal, new=False)
        earlier = proposal.earlier_campaigns
        payload = AllocationProposed(
            week=week,
            budget=proposal.budget,
            allocation=proposal.allocation,
            p_best=proposal.p_best,
            explanation=proposal.explanation,
            max_change_exempt=proposal.max_change_exempt,
            reasons=proposal.reasons,
            expected_conversions=proposal.expected_conversions,
            equal_split_expected_conversions=proposal.equal_split_expected_conversions,
            earlier_campaigns=None if earlier is None else EarlierCampaigns(**earlier.model_dump()),
        ).model_dump(mode="json")
        repository.upsert_allocation_proposal(
            conn,
            campaign_id=campaign.id,
            week=week,
            payload=payload,
            event_id=proposal.event_id,
            proposed_at=proposal.proposed_at,
            received_at=now,
        )
        decisions.record_proposal_arrived(conn, campaign, week, payload, now, actor=actor)
    return RequestedProposal(proposal, new=True)
