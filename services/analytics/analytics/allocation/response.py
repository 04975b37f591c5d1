"""Stage 9: everything the stages found, as one :class:`AllocationResponse`.

The figures are gathered per creative into :class:`explain.VariantFacts` records, and
the whole proposal into an :class:`explain.Story`; :mod:`explain` words them. Without
any evidence (no exposure anywhere in the campaign) no cost or expected conversions are
claimed: those figures are null.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analytics.allocation import explain
from analytics.allocation.beliefs import Beliefs
from analytics.allocation.contract import AllocationRequest, AllocationResponse, finite_or_none
from analytics.allocation.exposure import MaturedExposure
from analytics.allocation.fatigue import Drift
from analytics.allocation.forgetting import LearnedForgetting
from analytics.allocation.history import History
from analytics.allocation.pbest import Comparison
from analytics.allocation.plan import Plan
from analytics.allocation.stopping import Verdict
from analytics.allocation.targets import Targets
from koers.phrases import english

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Findings:
    """What every stage of one allocation found."""

    history: History
    matured: MaturedExposure
    beliefs: Beliefs
    comparison: Comparison
    targets: Targets
    plan: Plan
    verdict: Verdict
    drifts: Mapping[int, Drift]
    """Latest-week drift by listed creative's position."""
    forgetting: LearnedForgetting | None = None
    """The half-life learned from the campaign's weeks, when the policy learns it."""


def respond(request: AllocationRequest, findings: Findings) -> AllocationResponse:
    """The response: amounts, chances, costs, explanation and warnings."""
    facts = creative_facts(request, findings)
    story = _story(request, findings, facts)
    history = findings.history
    warning_phrases = (
        findings.plan.shaped.warnings
        + explain.data_health(
            [history.unit_ids[u] for u in history.unit],
            history.week,
            history.spend,
            history.clicks,
            history.conversions,
        )
        + explain.drift_warnings(facts)
    )
    explanation = explain.sentences(story)
    reasons = [explain.reason(fact, story) for fact in facts]
    verdict = findings.verdict
    winner = request.variants[verdict.winner].variant_id if verdict.winner is not None else None
    # A creative that ran last week and got no change band is one max_change does not hold.
    previous = findings.plan.previous.tolist()
    band_low = findings.plan.shaped.band_low.tolist()
    holds = [
        not (not math.isnan(previous[i]) and previous[i] > 0 and band_low[i] <= 0)
        for i in range(len(facts))
    ]
    # One validation of plain data is far cheaper than 20,000 small model instances.
    return AllocationResponse.model_validate(
        {
            "campaign_id": request.campaign_id,
            "week": request.week,
            "allocation": {fact.variant_id: fact.amount for fact in facts},
            "p_best": {fact.variant_id: fact.p_best for fact in facts},
            "expected_cost_per_conversion": {
                fact.variant_id: {
                    "mean": fact.cost_mean,
                    "low": fact.cost_low,
                    "high": fact.cost_high,
                }
                for fact in facts
            },
            "explanation": [english(line) for line in explanation],
            "explanation_phrases": explanation,
            "warnings": [english(line) for line in warning_phrases],
            "warning_phrases": warning_phrases,
            "variants": [
                {
                    "variant_id": fact.variant_id,
                    "channel": fact.channel,
                    "amount": fact.amount,
                    "share": fact.amount / request.budget if request.budget > 0 else 0.0,
                    "p_best": fact.p_best,
                    "expected_conversions": fact.expected_conversions or 0.0,
                    "change": None
                    if fact.previous is None
                    else round(fact.amount - fact.previous, 2),
                    "reason": english(reasons[i]),
                    "reason_phrase": reasons[i],
                    "max_change_holds": holds[i],
                }
                for i, fact in enumerate(facts)
            ],
            "expected_conversions": story.expected_total or 0.0,
            "equal_split_expected_conversions": story.equal_total or 0.0,
            "winner": winner,
            "value_remaining": finite_or_none(verdict.value_remaining)
            if story.has_evidence
            else None,
            "earlier_campaigns": None
            if story.earlier is None
            else {
                "campaigns": story.earlier.campaigns,
                "creatives": story.earlier.creatives,
                "weight": story.earlier.weight,
                "disagreement": story.earlier.disagreement,
            },
        }
    )


def creative_facts(request: AllocationRequest, findings: Findings) -> list[explain.VariantFacts]:
    """One record per listed creative, in request order."""
    beliefs, plan = findings.beliefs, findings.plan
    shaped = plan.shaped
    listed = findings.history.listed
    cost_mean, cost_low, cost_high = (
        _figures(values, beliefs, listed) for values in beliefs.posterior.cost_per_conversion()
    )
    expected = _figures(_expected_conversions(findings), beliefs, listed)
    amount = shaped.amounts.tolist()
    previous = plan.previous.tolist()
    target = findings.targets.amounts.tolist()
    p_best = findings.comparison.p_best.tolist()
    floor = shaped.floor.tolist()
    band_low = shaped.band_low.tolist()
    band_high = shaped.band_high.tolist()
    channel = findings.history.channel[:listed].tolist()
    exposure = beliefs.evidence.exposure[:listed].tolist()
    return [
        explain.VariantFacts(
            variant_id=variant.variant_id,
            channel=variant.channel,
            amount=amount[i],
            previous=None if math.isnan(previous[i]) else previous[i],
            target=target[i],
            p_best=p_best[i],
            floor=floor[i],
            band_low=band_low[i],
            band_high=band_high[i],
            channel_capped=channel[i] in shaped.capped_channels,
            has_data=exposure[i] > 0,
            cost_mean=cost_mean[i],
            cost_low=cost_low[i],
            cost_high=cost_high[i],
            expected_conversions=expected[i],
            drift=findings.drifts.get(i),
        )
        for i, variant in enumerate(request.variants)
    ]


def _story(
    request: AllocationRequest, findings: Findings, facts: list[explain.VariantFacts]
) -> explain.Story:
    beliefs, verdict, policy = findings.beliefs, findings.verdict, request.policy
    has_evidence = beliefs.has_evidence
    if has_evidence:
        expected_total = finite_or_none(float(np.nansum(_expected_conversions(findings))))
        equal = request.budget / findings.history.listed * beliefs.posterior.mean.sum()
    else:
        expected_total, equal = None, float("nan")
    return explain.Story(
        week=request.week,
        budget=request.budget,
        variants=facts,
        leader=verdict.leader,
        winner=verdict.winner,
        value_remaining=verdict.value_remaining,
        winner_threshold=policy.winner_threshold,
        expected_total=expected_total,
        equal_total=finite_or_none(equal),
        maturity=findings.matured.curve,
        half_life=policy.fatigue_half_life_weeks
        if findings.forgetting is None
        else findings.forgetting.half_life,
        half_life_learned=findings.forgetting is not None,
        max_change=findings.plan.shaped.max_change,
        unlisted_with_history=findings.history.unlisted,
        has_evidence=has_evidence,
        earlier=None
        if beliefs.informed is None
        else explain.EarlierCampaigns(
            campaigns=beliefs.informed.campaigns,
            creatives=beliefs.informed.creatives,
            weight=beliefs.informed.history_weight,
            disagreement=beliefs.informed.disagreement,
        ),
    )


def _expected_conversions(findings: Findings) -> FloatArray:
    """Per listed creative: its amount times its expected conversions per euro."""
    expected: FloatArray = findings.plan.shaped.amounts * findings.beliefs.posterior.mean
    return expected


def _figures(values: FloatArray, beliefs: Beliefs, listed: int) -> list[float | None]:
    """Figures for JSON: null where undefined, and all null without evidence."""
    if not beliefs.has_evidence:
        return [None] * listed
    return [v if math.isfinite(v) else None for v in values.tolist()]
