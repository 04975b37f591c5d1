"""Play a policy through a simulated campaign and score it against the oracle.

Each week the policy gets the request a caller would send: the creatives live that week,
the budget, the history as it looks at the end of the previous week (late conversions
not yet arrived are missing) and the policy's own previous amounts. Its amounts are then
"spent": clicks and impressions are Poisson in the spend, conversions binomial in the
clicks with that week's (noisy, tiring) conversion rate, and each conversion lands in the
same week or one or two weeks later.

The score is the expected number of conversions of the amounts under the true
(noise-free) rates, divided by the oracle's: the whole budget on the truly best live
creative each week. Random draws are keyed by (campaign, week, creative), so policies
that spend the same on a creative in a week see the same outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analytics.allocation import AllocationRequest
from analytics.allocation.contract import HistoryRow, PriorCampaign, Variant
from analytics.simulation.policies import Policy
from analytics.simulation.world import FIRST_WEEK, WEEKLY_NOISE, Campaign, Creative
from koers.isoweeks import shift_week


@dataclass
class _Week:
    spend: float
    impressions: int
    clicks: int
    arrivals: tuple[int, int, int]


@dataclass(frozen=True)
class Calibration:
    """One creative-week: the chance of being best the policy stated, and the truth."""

    p_best: float
    truly_best: bool


@dataclass(frozen=True)
class Run:
    policy: str
    seed: int
    conversions: float
    oracle: float
    calibration: list[Calibration] = field(default_factory=list)
    winners: list[tuple[int, str]] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.conversions / self.oracle if self.oracle > 0 else 1.0


def week_name(week: int) -> str:
    """The ISO label of simulated week ``week`` (1-based)."""
    return shift_week(FIRST_WEEK, week - 1)


def _variant(creative: Creative, week: int) -> Variant:
    return Variant(
        variant_id=creative.variant_id,
        channel=creative.channel,
        created_week=week_name(week),
        attributes=dict(creative.attributes) if creative.attributes else None,
    )


def earlier_campaign(campaign: Campaign, campaign_id: str, ends_before: int) -> PriorCampaign:
    """``campaign`` as it was run earlier, its last week ``ends_before`` weeks before week 1.

    An earlier campaign's money followed no policy of ours: each creative gets a fixed
    random share of the budget (log-normal weights, as uneven as real campaigns), and its
    conversions have all arrived.
    """
    rng = np.random.default_rng([campaign.seed, 5])
    weights = np.exp(rng.normal(0.0, 1.0, len(campaign.creatives)))
    offset = -ends_before - campaign.weeks + 1
    variants: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for week in range(1, campaign.weeks + 1):
        live = campaign.live(week)
        total = sum(float(weights[campaign.creatives.index(c)]) for c in live)
        for creative in live:
            amount = campaign.budget * float(weights[campaign.creatives.index(creative)]) / total
            facts = _spend(campaign, creative.variant_id, week, amount)
            history.append(
                {
                    "variant_id": creative.variant_id,
                    "week": week_name(week + offset),
                    "spend": round(facts.spend, 2),
                    "impressions": facts.impressions,
                    "clicks": facts.clicks,
                    "conversions": sum(facts.arrivals),
                }
            )
    for creative in campaign.creatives:
        variants.append(_variant(creative, creative.start + offset).model_dump(exclude_none=True))
    return PriorCampaign.model_validate(
        {"campaign_id": campaign_id, "variants": variants, "history": history}
    )


def run(
    campaign: Campaign,
    make_policy: Callable[[], Policy],
    prior_campaigns: Sequence[PriorCampaign] = (),
) -> Run:
    """Play one fresh policy through ``campaign``, the employer's earlier ones in hand."""
    policy = make_policy()
    observed: dict[tuple[str, int], _Week] = {}
    previous: dict[str, float] | None = None
    conversions = oracle = 0.0
    calibration: list[Calibration] = []
    winners: list[tuple[int, str]] = []
    for week in range(1, campaign.weeks + 1):
        live = campaign.live(week)
        request = AllocationRequest(
            campaign_id=f"sim-{campaign.seed}",
            week=week_name(week),
            budget=campaign.budget,
            variants=[_variant(c, c.start) for c in live],
            history=_history(observed, week),
            previous_allocation=previous,
            prior_campaigns=list(prior_campaigns),
        )
        proposal = policy.propose(request)
        amounts = {c.variant_id: max(0.0, proposal.allocation.get(c.variant_id, 0.0)) for c in live}
        rates = {c.variant_id: c.rate(week) for c in live}
        best = max(rates.values())
        conversions += sum(amounts[i] * rates[i] for i in amounts)
        oracle += campaign.budget * best
        if proposal.p_best is not None and len(live) > 1:
            ties = sum(1 for r in rates.values() if r == best)
            if ties == 1:
                calibration.extend(Calibration(proposal.p_best[i], rates[i] == best) for i in rates)
        if proposal.winner is not None:
            winners.append((week, proposal.winner))
        for creative in live:
            observed[(creative.variant_id, week)] = _spend(
                campaign, creative.variant_id, week, amounts[creative.variant_id]
            )
        previous = amounts
    return Run(policy.name, campaign.seed, conversions, oracle, calibration, winners)


def _spend(campaign: Campaign, variant_id: str, week: int, amount: float) -> _Week:
    creative = next(c for c in campaign.creatives if c.variant_id == variant_id)
    number = campaign.creatives.index(creative)
    rng = np.random.default_rng([campaign.seed, week, number, 2])
    noise = float(np.exp(rng.normal(0.0, WEEKLY_NOISE)))
    if amount <= 0:
        return _Week(0.0, 0, 0, (0, 0, 0))
    clicks = int(rng.poisson(amount / creative.cost_per_click))
    impressions = int(rng.poisson(amount / creative.cost_per_mille * 1000))
    conversion = min(creative.rate(week) * creative.cost_per_click * noise, 1.0)
    converted = int(rng.binomial(clicks, conversion))
    arrivals = rng.multinomial(converted, campaign.lag_shares)
    return _Week(
        amount, impressions, clicks, (int(arrivals[0]), int(arrivals[1]), int(arrivals[2]))
    )


def _history(observed: dict[tuple[str, int], _Week], planned: int) -> list[HistoryRow]:
    """The counts as they look at the end of week ``planned - 1``."""
    rows = []
    for (variant_id, week), facts in sorted(
        observed.items(), key=lambda item: (item[0][1], item[0][0])
    ):
        arrived_by = planned - 1 - week  # 0: only same-week conversions so far
        rows.append(
            HistoryRow(
                variant_id=variant_id,
                week=week_name(week),
                spend=round(facts.spend, 2),
                impressions=facts.impressions,
                clicks=facts.clicks,
                conversions=sum(facts.arrivals[: arrived_by + 1]),
            )
        )
    return rows
