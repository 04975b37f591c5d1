"""From stored facts to the engine's question: the AllocationRequest of a planned week.

Pure: the campaign's state, its creatives and its weekly funnel in; an
:class:`~analytics.allocation.AllocationRequest` (and how its conversions were counted)
out. The rules:

- **what counts as a conversion** is the campaign's goal: leads, applications,
  qualified quiz results, interviews or hires (``catalog.domain.GOAL_COUNTERS``);
- **slow goals** (interview, hire) take weeks to show. Weeks too young to be settled
  count ``max(observed, leads x ratio)``, the ratio being the campaign's own settled
  lead-to-goal ratio shrunk toward the tenant's pooled one (itself shrunk toward a
  default), so a creative that brings many leads is not judged on hires that cannot
  have happened yet. Those weeks are then complete in expectation, so the engine's own
  maturity correction is switched off for slow goals, lest it correct twice;
- **eligible creatives** are the live ones; a creative's ``created_week`` is its first
  week with any fact (or the planned week for one without);
- **history** is every creative's facts before the planned week, live or not (retired
  creatives still teach the engine's pooled prior);
- **policy** follows the campaign's guardrails.

The request's canonical JSON is fingerprinted: the same facts give the same fingerprint,
which is what makes proposing idempotent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from analytics.allocation import AllocationPolicy, AllocationRequest, cycles
from analytics.allocation.contract import Channel, PriorCampaign
from analytics.catalog.domain import CampaignState, VariantAttributes
from analytics.facts.domain import CampaignFunnel, WeekFacts
from koers.isoweeks import week_ordinal

SLOW_GOAL_SETTLE_WEEKS: dict[str, int] = {"reached": 1, "interviews": 3, "hires": 6}
"""Weeks after the visit week by which (nearly) every reply, interview or hire has arrived."""

DEFAULT_LEAD_RATIOS: dict[str, float] = {"reached": 0.5, "interviews": 0.25, "hires": 0.05}
"""Lead-to-goal ratios assumed before any data (half answer a first message, a quarter
interviewed, one in twenty hired), the prior of the tenant's pooled ratio."""

PRIOR_LEADS = 50.0
"""How many leads' worth of weight each prior carries in the ratio it shrinks."""


class NoEligibleVariants(ValueError):
    """The campaign has no live creative to fund."""


@dataclass(frozen=True)
class SettledCounts:
    """Leads and goal conversions of weeks old enough to be settled."""

    leads: float = 0.0
    conversions: float = 0.0

    def __add__(self, other: SettledCounts) -> SettledCounts:
        return SettledCounts(self.leads + other.leads, self.conversions + other.conversions)


@dataclass(frozen=True)
class StandIn:
    """How young weeks of a slow goal were counted (reported beside the proposal)."""

    counter: str
    ratio: float
    """Leads x this ratio stood in for the goal in unsettled weeks."""
    tenant_ratio: float
    settled_leads: float
    settled_conversions: float
    weeks: tuple[str, ...]
    """The unsettled weeks (before the planned one) that used the stand-in."""

    def sentence(self) -> str:
        noun = {"interviews": "interviews", "reached": "replies"}.get(self.counter, "hires")
        return (
            f"Recent weeks count {self.ratio:.3g} {noun} per lead until their {noun} "
            f"arrive (this campaign's settled ratio, {self.settled_conversions:g} of "
            f"{self.settled_leads:g} leads, shrunk toward the employer's {self.tenant_ratio:.3g})."
        )


@dataclass(frozen=True)
class Proposal:
    request: AllocationRequest
    conversion: str
    stand_in: StandIn | None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.request)


def fingerprint(request: AllocationRequest) -> str:
    """SHA-256 of the request's canonical JSON: equal inputs, equal fingerprint."""
    document = request.model_dump(mode="json")
    if not document["prior_campaigns"]:  # requests from before the field keep their print
        del document["prior_campaigns"]
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def shrunk_ratio(conversions: float, leads: float, prior: float, prior_leads: float) -> float:
    """(conversions + prior_leads * prior) / (leads + prior_leads): a Beta-mean shrinkage."""
    return (conversions + prior_leads * prior) / (leads + prior_leads)


def is_settled(week: str, planned_week: str, counter: str) -> bool:
    """True when ``week`` is old enough, seen from ``planned_week``, for its slow goal."""
    settle = SLOW_GOAL_SETTLE_WEEKS.get(counter, 0)
    return week_ordinal(planned_week) - week_ordinal(week) > settle


def settled_counts(funnel: CampaignFunnel, planned_week: str, counter: str) -> SettledCounts:
    """Leads and ``counter`` conversions over the campaign's settled weeks."""
    total = SettledCounts()
    for variant in funnel.variants:
        for week, facts in variant.weeks:
            if week < planned_week and is_settled(week, planned_week, counter):
                total += SettledCounts(float(facts.leads), float(getattr(facts, counter)))
    return total


def tenant_ratio(counter: str, settled: SettledCounts) -> float:
    """The tenant's pooled lead-to-goal ratio over all its campaigns' settled weeks."""
    return shrunk_ratio(
        settled.conversions, settled.leads, DEFAULT_LEAD_RATIOS[counter], PRIOR_LEADS
    )


def policy_for(campaign: CampaignState) -> AllocationPolicy:
    """The engine's policy from the marketer's guardrails (shares clipped to [0, 1])."""
    guardrails = campaign.guardrails
    settings: dict[str, object] = {
        "exploration_share": guardrails.exploration_share,
        "max_change": guardrails.max_weekly_change,
        "min_spend": guardrails.min_spend_per_creative,
        "channel_caps": {
            channel: min(max(cap, 0.0), 1.0) for channel, cap in guardrails.channel_caps.items()
        },
    }
    if campaign.conversion_counter in SLOW_GOAL_SETTLE_WEEKS:
        settings |= {"maturity_lag_weeks": 0, "maturity_prior": []}
    return AllocationPolicy.model_validate(settings)


def _conversions(
    facts: WeekFacts, week: str, planned_week: str, counter: str, ratio: float | None
) -> float:
    observed = float(getattr(facts, counter))
    if ratio is None or is_settled(week, planned_week, counter):
        return observed
    return max(observed, facts.leads * ratio)


MAX_EARLIER_CAMPAIGNS = 10
"""The tenant's most recent other campaigns a proposal learns from."""
MAX_EARLIER_ROWS = 20_000
"""Weekly rows per earlier campaign (its latest weeks): keeps a proposal's request, and the
engine's time, bounded however long a tenant has advertised."""


def prior_campaigns(
    earlier: Sequence[tuple[str, Mapping[str, VariantAttributes], CampaignFunnel]],
    *,
    week: str,
    counter: str,
) -> list[PriorCampaign]:
    """The tenant's other campaigns as the engine's ``prior_campaigns``, oldest first.

    Their weeks before ``week`` count, conversions by this campaign's goal (``counter``)
    as recorded; a campaign without a creative that has results is left out. The rows
    are this service's own stored facts, validated when they were stored: they take the
    engine's trusted route (:meth:`PriorCampaign.trusted`, whole-column checks), not a
    second row-by-row validation (docs/architecture.md, "Trusted prior campaigns").
    """
    chosen: list[PriorCampaign] = []
    for campaign_id, variants, funnel in earlier[:MAX_EARLIER_CAMPAIGNS]:
        rows = sorted(
            (
                (w, variant.variant_id, facts)
                for variant in funnel.variants
                if variant.variant_id in variants
                for w, facts in variant.weeks
                if w < week
            ),
            key=lambda row: row[0],
        )[-MAX_EARLIER_ROWS:]
        if not rows:
            continue
        used = {variant_id for _, variant_id, _ in rows}
        first: dict[str, str] = {}
        for w, variant_id, _ in rows:
            first.setdefault(variant_id, w)
        chosen.append(
            PriorCampaign.trusted(
                campaign_id=campaign_id,
                variants=[
                    {
                        "variant_id": v.variant_id,
                        "channel": cast(Channel, v.channel),  # checked by `trusted`
                        "created_week": first[v.variant_id],
                        "attributes": {
                            "creative_format": v.creative_format,
                            "hook": v.hook,
                            "employee_generated": v.employee_generated,
                        },
                    }
                    for v in (variants[i] for i in sorted(used))
                ],
                history=[
                    {
                        "variant_id": variant_id,
                        "week": w,
                        "spend": float(facts.spend),
                        "impressions": float(facts.impressions),
                        "clicks": float(facts.clicks),
                        "conversions": float(getattr(facts, counter)),
                    }
                    for w, variant_id, facts in rows
                ],
            )
        )
    return chosen[::-1]


def build_request(
    campaign: CampaignState,
    variants: Mapping[str, VariantAttributes],
    funnel: CampaignFunnel,
    *,
    week: str,
    budget: Decimal | float | None = None,
    previous_allocation: Mapping[str, float] | None = None,
    tenant_settled: SettledCounts | None = None,
    earlier: Sequence[tuple[str, Mapping[str, VariantAttributes], CampaignFunnel]] = (),
) -> Proposal:
    """The AllocationRequest for ``week``; NoEligibleVariants when nothing is live.

    ``funnel`` may hold any weeks: only those before ``week`` become history.
    ``tenant_settled`` pools the slow-goal ratio over the tenant (this campaign alone
    when not given). ``earlier`` are the tenant's other campaigns (id, creatives, facts),
    most recent first: they become ``prior_campaigns`` (:func:`prior_campaigns`).
    """
    counter = campaign.conversion_counter
    first_weeks: dict[str, str] = {}
    for variant in funnel.variants:
        if variant.weeks:
            first_weeks[variant.variant_id] = variant.weeks[0][0]
    live = [variants[v] for v in sorted(variants) if variants[v].live]
    if not live:
        raise NoEligibleVariants(
            f"campaign {campaign.campaign_id!r} has no live creative to fund in {week}"
        )
    stand_in: StandIn | None = None
    ratio: float | None = None
    if counter in SLOW_GOAL_SETTLE_WEEKS:
        own = settled_counts(funnel, week, counter)
        pooled = tenant_ratio(counter, tenant_settled if tenant_settled is not None else own)
        ratio = shrunk_ratio(own.conversions, own.leads, pooled, PRIOR_LEADS)
        young = sorted(
            {
                w
                for variant in funnel.variants
                for w, _ in variant.weeks
                if w < week and not is_settled(w, week, counter)
            }
        )
        stand_in = StandIn(
            counter=counter,
            ratio=ratio,
            tenant_ratio=pooled,
            settled_leads=own.leads,
            settled_conversions=own.conversions,
            weeks=tuple(young),
        )
    history = [
        {
            "variant_id": variant.variant_id,
            "week": w,
            "spend": float(facts.spend),
            "impressions": float(facts.impressions),
            "clicks": float(facts.clicks),
            "conversions": _conversions(facts, w, week, counter, ratio),
        }
        for variant in funnel.variants
        for w, facts in variant.weeks
        if w < week
    ]
    # Hundreds of thousands of rows become dicts and are validated here: the cycle
    # collector walking them all, again and again, nearly doubled the time (no cycles
    # are made; see analytics.allocation.cycles).
    with cycles.paused():
        request = AllocationRequest.model_validate(
            {
                "campaign_id": campaign.campaign_id,
                "week": week,
                "budget": float(campaign.weekly_budget if budget is None else budget),
                "variants": [
                    {
                        "variant_id": v.variant_id,
                        "channel": v.channel,
                        "created_week": min(first_weeks.get(v.variant_id, week), week),
                        "attributes": {
                            "creative_format": v.creative_format,
                            "employee_generated": v.employee_generated,
                            "tags": list(v.tags),
                        },
                    }
                    for v in live
                ],
                "history": history,
                "previous_allocation": dict(previous_allocation) if previous_allocation else None,
                "policy": policy_for(campaign),
                "prior_campaigns": prior_campaigns(earlier, week=week, counter=counter),
            }
        )
    return Proposal(request=request, conversion=counter, stand_in=stand_in)
