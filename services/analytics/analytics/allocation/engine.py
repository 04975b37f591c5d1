"""``allocate(request) -> response``: next week's budget split, from counts alone.

The steps, each in its own module:

1. ages and weights: every history row gets its age (weeks before the planned week), a
   fatigue discount and its weeks of wear (:mod:`fatigue`), and a matured share
   (:mod:`maturity`);
2. evidence per creative: discounted conversions over discounted matured spend, each
   week also weighted by what its count is worth against the campaign's week-to-week
   noise (:func:`posteriors.weekly_noise`);
3. an empirical-Bayes prior from every creative in the campaign, per channel, and Gamma
   posteriors (:mod:`posteriors`);
4. the chance of being best, by quadrature (:mod:`pbest`);
5. targets: the likely best creative plus the trials worth their cost
   (:mod:`exploration`; or shares ∝ p_best ** power), shaped into euros by the
   guardrails (:mod:`guardrails`); the max-change guardrail holds back the cuts of
   creatives out of the ad platform's learning phase (``learning_exit_conversions`` last
   week) that are still plausible contenders (chance of being best ≥
   ``RULED_OUT_P_BEST``);
6. the stopping rule (:mod:`stopping`), drift and data-health checks, and the explanation
   (:mod:`explain`).

No I/O and no global state: the optional ``memory`` is the caller's object.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analytics.allocation import (
    explain,
    exploration,
    fatigue,
    maturity,
    pbest,
    posteriors,
    stopping,
)
from analytics.allocation.contract import (
    CHANNELS,
    AllocationRequest,
    AllocationResponse,
    finite_or_none,
)
from analytics.allocation.guardrails import shape_budget
from analytics.allocation.memory import AllocationMemory
from koers.isoweeks import week_ordinal

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

CHANNEL_CODE = {name: code for code, name in enumerate(CHANNELS)}

RULED_OUT_P_BEST = 0.02
"""Below this chance of being best the evidence has ruled a creative out: its steady
delivery is no longer worth protecting, and it may be cut beyond ``max_change`` at once
rather than by a fifth a week while a better creative waits."""


@dataclass(frozen=True)
class Rows:
    """The history as arrays; ``unit`` indexes listed creatives first, then unknown ones."""

    unit: IntArray
    age: IntArray
    spend: FloatArray
    impressions: FloatArray
    clicks: FloatArray
    conversions: FloatArray
    week: IntArray


def allocate(
    request: AllocationRequest, memory: AllocationMemory | None = None
) -> AllocationResponse:
    """Propose next week's split of ``request.budget`` over ``request.variants``."""
    policy = request.policy
    planned = week_ordinal(request.week)
    ids = [variant.variant_id for variant in request.variants]
    listed = len(ids)
    index = {variant_id: i for i, variant_id in enumerate(ids)}
    unknown: dict[str, int] = {}
    for row in request.history:
        if row.variant_id not in index and row.variant_id not in unknown:
            unknown[row.variant_id] = listed + len(unknown)
    unit_ids = ids + list(unknown)
    rows = _rows(request, planned, index | unknown)

    curve = _maturity_curve(request, planned, rows, unit_ids, memory)
    matured = curve.share_at(rows.age.astype(float))
    ages = rows.age.astype(float)
    weight = fatigue.discount_weights(ages, policy.fatigue_half_life_weeks)
    units = len(unit_ids)
    worn = fatigue.wear_ages(rows.unit, rows.week, _first_weeks(request, rows, units), planned)
    decay = (
        fatigue.estimate_decay(rows.unit, worn, rows.spend * matured, rows.conversions)
        if policy.fatigue_trend
        else 0.0
    )
    at_today = rows.spend * matured * np.exp(decay * worn)
    complete = rows.age > policy.maturity_lag_weeks  # young weeks' shares are estimates
    noise = posteriors.weekly_noise(
        rows.unit[complete], at_today[complete], rows.conversions[complete], units
    )
    worth = posteriors.noise_weights(rows.unit, at_today, rows.conversions, units, noise)
    weight = weight * worth
    exposure = _sum_by(rows.unit, weight * at_today, units)
    exposure_sq = _sum_by(rows.unit, weight**2 * at_today, units)
    conversions = _sum_by(rows.unit, weight * rows.conversions, units)
    channel = np.array(
        [CHANNEL_CODE[v.channel] for v in request.variants] + [-1] * len(unknown), dtype=np.int64
    )
    evidence = posteriors.Evidence(conversions, exposure, exposure_sq, channel)
    prior = posteriors.estimate_prior(evidence)
    mine = posteriors.Evidence(
        conversions[:listed], exposure[:listed], exposure_sq[:listed], channel[:listed]
    )
    post = posteriors.posterior(prior, mine)

    comparison = pbest.compare(post.shape, post.rate)
    p_best = comparison.p_best
    if policy.allocation_rule == "knowledge_gradient":
        targets = exploration.knowledge_gradient_targets(
            post.shape,
            post.rate,
            request.budget,
            lookahead_weeks=policy.lookahead_weeks,
            matured_share=float(curve.share_at(np.ones(1))[0]),
        )
    else:
        targets = p_best**policy.allocation_power
    previous = np.full(listed, np.nan)
    for variant_id, amount in (request.previous_allocation or {}).items():
        if variant_id in index:
            previous[index[variant_id]] = amount
    caps = {CHANNEL_CODE[name]: share for name, share in policy.channel_caps.items()}
    protected = None
    if policy.learning_exit_conversions is not None:
        last_week = (rows.age == 1) & (rows.unit < listed)
        recent = np.bincount(rows.unit[last_week], rows.conversions[last_week], minlength=listed)
        # Out of learning and still a plausible contender: only such a creative's steady
        # delivery is worth a slower cut (see guardrails, rule 4).
        protected = (recent[:listed] >= policy.learning_exit_conversions) & (
            p_best >= RULED_OUT_P_BEST
        )
    shaped = shape_budget(
        targets,
        request.budget,
        channel[:listed],
        previous,
        exploration_share=policy.exploration_share,
        min_spend=policy.min_spend,
        max_change=policy.max_change,
        channel_caps=caps,
        channel_names=dict(enumerate(CHANNELS)),
        protected=protected,
    )

    has_evidence = prior.campaign_rate is not None
    mean_rate = post.mean
    verdict = stopping.judge(
        p_best,
        mean_rate,
        comparison.expected_max,
        winner_threshold=policy.winner_threshold,
        value_remaining_threshold=policy.value_remaining_threshold,
        has_evidence=has_evidence,
    )
    cost_mean, cost_low, cost_high = post.cost_per_conversion()
    expected = shaped.amounts * mean_rate if has_evidence else np.full(listed, np.nan)
    equal = request.budget / listed * mean_rate.sum() if has_evidence else float("nan")

    drifts = _drifts(rows, post, at_today, weight, listed, prior)
    target_amounts = (
        targets / targets.sum() * request.budget if targets.sum() > 0 else np.zeros(listed)
    )

    def figures(values: FloatArray) -> list[float | None]:
        if not has_evidence:
            return [None] * listed
        return [v if math.isfinite(v) else None for v in values.tolist()]

    costs = zip(figures(cost_mean), figures(cost_low), figures(cost_high), strict=True)
    facts = [
        explain.VariantFacts(
            variant_id=variant_id,
            channel=variant.channel,
            amount=amount,
            previous=None if np.isnan(last) else last,
            target=target,
            p_best=chance,
            floor=floor,
            band_low=low,
            band_high=high,
            channel_capped=code in shaped.capped_channels,
            has_data=evidence_here > 0,
            cost_mean=cost[0],
            cost_low=cost[1],
            cost_high=cost[2],
            expected_conversions=conversions_here,
            drift=drifts.get(i),
        )
        for i, (
            variant_id,
            variant,
            amount,
            last,
            target,
            chance,
            floor,
            low,
            high,
            code,
            evidence_here,
            cost,
            conversions_here,
        ) in enumerate(
            zip(
                ids,
                request.variants,
                shaped.amounts.tolist(),
                previous.tolist(),
                target_amounts.tolist(),
                p_best.tolist(),
                shaped.floor.tolist(),
                shaped.band_low.tolist(),
                shaped.band_high.tolist(),
                channel[:listed].tolist(),
                exposure[:listed].tolist(),
                costs,
                figures(expected),
                strict=True,
            )
        )
    ]
    story = explain.Story(
        week=request.week,
        budget=request.budget,
        variants=facts,
        leader=verdict.leader,
        winner=verdict.winner,
        value_remaining=verdict.value_remaining,
        winner_threshold=policy.winner_threshold,
        expected_total=finite_or_none(float(np.nansum(expected))) if has_evidence else None,
        equal_total=finite_or_none(equal),
        maturity=curve,
        half_life=policy.fatigue_half_life_weeks,
        max_change=shaped.max_change,
        unlisted_with_history=len(unknown),
        has_evidence=has_evidence,
    )
    warnings = (
        shaped.warnings
        + explain.data_health(
            [unit_ids[u] for u in rows.unit], rows.week, rows.spend, rows.clicks, rows.conversions
        )
        + explain.drift_warnings(facts)
    )
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
            "explanation": explain.sentences(story),
            "warnings": warnings,
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
                    "reason": explain.reason(fact, story),
                }
                for fact in facts
            ],
            "expected_conversions": story.expected_total or 0.0,
            "equal_split_expected_conversions": story.equal_total or 0.0,
            "winner": ids[verdict.winner] if verdict.winner is not None else None,
            "value_remaining": finite_or_none(verdict.value_remaining) if has_evidence else None,
        }
    )


def _first_weeks(request: AllocationRequest, rows: Rows, units: int) -> IntArray:
    """Each unit's first live week: its created week or first history row, if earlier."""
    planned = week_ordinal(request.week)
    first = np.full(units, planned, dtype=np.int64)
    for i, variant in enumerate(request.variants):
        first[i] = week_ordinal(variant.created_week)
    np.minimum.at(first, rows.unit, rows.week)
    return first


def _sum_by(unit: IntArray, values: FloatArray, units: int) -> FloatArray:
    summed: FloatArray = np.bincount(unit, values, minlength=units).astype(np.float64)
    return summed


def _rows(request: AllocationRequest, planned: int, index: dict[str, int]) -> Rows:
    history = request.history
    ordinals = {label: week_ordinal(label) for label in {row.week for row in history}}
    week = np.array([ordinals[row.week] for row in history], dtype=np.int64)
    return Rows(
        unit=np.array([index[row.variant_id] for row in history], dtype=np.int64),
        age=planned - week,
        spend=np.array([row.spend for row in history], dtype=float),
        impressions=np.array([row.impressions for row in history], dtype=float),
        clicks=np.array([row.clicks for row in history], dtype=float),
        conversions=np.array([row.conversions for row in history], dtype=float),
        week=week,
    )


def _maturity_curve(
    request: AllocationRequest,
    planned: int,
    rows: Rows,
    unit_ids: list[str],
    memory: AllocationMemory | None,
) -> maturity.MaturityCurve:
    policy = request.policy
    if policy.maturity_lag_weeks == 0:
        return maturity.MaturityCurve((), "none")
    if memory is not None:
        memory.observe(
            request.campaign_id,
            planned,
            (
                (unit_ids[u], int(w), float(c))
                for u, w, c in zip(rows.unit, rows.week, rows.conversions, strict=True)
            ),
        )
        growth = memory.growth(request.campaign_id, policy.maturity_lag_weeks)
        if float(growth.complete.sum()) > 0:
            return maturity.from_growth(
                growth, policy.maturity_prior, policy.maturity_prior_strength
            )
    return maturity.from_cross_section(
        rows.unit,
        rows.age,
        rows.spend,
        rows.conversions,
        policy.maturity_prior,
        policy.maturity_prior_strength,
    )


def _drifts(
    rows: Rows,
    post: posteriors.Posterior,
    at_today: FloatArray,
    weight: FloatArray,
    listed: int,
    prior: posteriors.Prior,
) -> dict[int, fatigue.Drift]:
    """Latest-week drift per listed creative that has earlier weeks to predict from."""
    if prior.campaign_rate is None:
        return {}
    latest = np.flatnonzero((rows.age == 1) & (rows.unit < listed) & (rows.spend > 0))
    has_earlier = np.zeros(listed + 1, dtype=bool)
    earlier = rows.unit[(rows.age > 1) & (rows.spend > 0) & (rows.unit < listed)]
    has_earlier[earlier] = True
    latest = latest[has_earlier[rows.unit[latest]]]
    unit = rows.unit[latest]
    exposure = at_today[latest]
    observed = rows.conversions[latest]
    counted = weight[latest]
    # The posterior without the latest week (as it was counted in it).
    shape = post.shape[unit] - counted * observed
    rate = post.rate[unit] - counted * exposure
    usable = (shape > 0) & (rate > 0) & (exposure > 0)
    unit, exposure, observed, shape, rate = (
        unit[usable],
        exposure[usable],
        observed[usable],
        shape[usable],
        rate[usable],
    )
    at_most, at_least = fatigue.drift_tails(shape, rate, exposure, observed)
    flagged = (at_most < fatigue.DRIFT_LEVEL) | (at_least < fatigue.DRIFT_LEVEL)
    return {
        int(unit[i]): fatigue.Drift(
            below=bool(at_most[i] < fatigue.DRIFT_LEVEL),
            above=bool(at_least[i] < fatigue.DRIFT_LEVEL),
            expected=float(shape[i] / rate[i] * exposure[i]),
            observed=float(observed[i]),
        )
        for i in np.flatnonzero(flagged)
    }
