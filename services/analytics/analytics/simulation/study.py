"""Many seeded campaigns, every policy on each: shares of the oracle, calibration, null runs.

Used by ``koers-analytics simulate`` and by ``bench/allocator_quality.py``. Campaigns are
independent, so they can be spread over worker processes; results do not depend on the
number of workers.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from analytics.allocation import AllocationPolicy, AllocationRequest
from analytics.allocation.contract import PriorCampaign
from analytics.simulation.policies import (
    ClairvoyantWithinGuardrails,
    EqualSplit,
    Greedy,
    KoersPolicy,
    Policy,
    Proposal,
    TextbookThompson,
)
from analytics.simulation.runner import Calibration, Run, earlier_campaign, run, week_name
from analytics.simulation.world import (
    WORLD_FAMILIES,
    Campaign,
    generate_campaign,
    generate_employer,
    generate_family_campaign,
)

STANDARD_POLICIES = ("koers", "thompson", "greedy", "equal")
EXTRA_POLICIES = (
    "koers-no-max-change",
    "koers-strict-max-change",
    "ceiling",
    "ceiling-no-max-change",
    "ceiling-strict-max-change",
)
POLICY_TITLES = {
    "koers": "Koers engine (default policy)",
    "thompson": "Textbook Thompson sampling",
    "greedy": "Greedy (lowest observed cost per conversion)",
    "equal": "Equal split",
    "koers-no-max-change": "Koers engine, max_change off",
    "koers-strict-max-change": "Koers engine, max_change on every running creative",
    "ceiling": "Clairvoyant from week 2, default guardrails (ceiling)",
    "ceiling-no-max-change": "Clairvoyant from week 2, max_change off (ceiling)",
    "ceiling-strict-max-change": "Clairvoyant from week 2, strict max_change (ceiling)",
}


def _true_rates(campaign: Campaign) -> Callable[[str], dict[str, float]]:
    labels = {week_name(week): week for week in range(1, campaign.weeks + 1)}

    def rates(label: str) -> dict[str, float]:
        week = labels[label]
        return {c.variant_id: c.rate(week) for c in campaign.live(week)}

    return rates


class _FromWeekTwo(ClairvoyantWithinGuardrails):
    """The clairvoyant, but splitting evenly in week 1 like every learner must."""

    def propose(self, request: AllocationRequest) -> Proposal:
        if not request.history:
            return EqualSplit().propose(request)
        return super().propose(request)


def make_policy(name: str, campaign: Campaign) -> Policy:
    """A fresh policy by its short name."""
    if name == "koers":
        return KoersPolicy()
    if name == "koers-no-max-change":
        return KoersPolicy(AllocationPolicy(max_change=None), name=POLICY_TITLES[name])
    if name == "koers-strict-max-change":
        return KoersPolicy(
            AllocationPolicy(learning_exit_conversions=None), name=POLICY_TITLES[name]
        )
    if name == "thompson":
        return TextbookThompson()
    if name == "greedy":
        return Greedy()
    if name == "equal":
        return EqualSplit()
    if name == "ceiling":
        return _FromWeekTwo(_true_rates(campaign))
    if name == "ceiling-no-max-change":
        return _FromWeekTwo(_true_rates(campaign), AllocationPolicy(max_change=None))
    if name == "ceiling-strict-max-change":
        return _FromWeekTwo(_true_rates(campaign), AllocationPolicy(learning_exit_conversions=None))
    raise ValueError(f"unknown policy {name!r}; known: {', '.join(POLICY_TITLES)}")


@dataclass(frozen=True)
class _Job:
    seed: int
    weeks: int
    policies: tuple[str, ...]
    identical: bool


def _play(job: _Job) -> dict[str, Run]:
    campaign = generate_campaign(job.seed, job.weeks, identical=job.identical)

    def factory(name: str) -> Callable[[], Policy]:
        return lambda: make_policy(name, campaign)

    return {name: run(campaign, factory(name)) for name in job.policies}


def study(
    seeds: Sequence[int],
    policies: Sequence[str] = STANDARD_POLICIES,
    *,
    weeks: int = 12,
    workers: int = 1,
    identical: bool = False,
) -> dict[str, list[Run]]:
    """Every policy on every seeded campaign, in seed order."""
    for name in policies:
        if name not in POLICY_TITLES:
            raise ValueError(f"unknown policy {name!r}; known: {', '.join(POLICY_TITLES)}")
    jobs = [_Job(seed, weeks, tuple(policies), identical) for seed in seeds]
    if workers > 1:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            results = pool.map(_play, jobs, chunksize=4)
    else:
        results = [_play(job) for job in jobs]
    return {name: [result[name] for result in results] for name in policies}


@dataclass(frozen=True)
class Summary:
    mean: float
    p10: float
    median: float


def summarise(runs: Sequence[Run]) -> Summary:
    shares = np.array([r.share for r in runs])
    return Summary(
        mean=float(shares.mean()),
        p10=float(np.percentile(shares, 10)),
        median=float(np.median(shares)),
    )


@dataclass(frozen=True)
class CalibrationBin:
    low: float
    high: float
    count: int
    predicted: float
    observed: float


def calibration(runs: Sequence[Run], bins: int = 10) -> list[CalibrationBin]:
    """Stated chance of being best against how often the creative truly was best."""
    records: list[Calibration] = [record for r in runs for record in r.calibration]
    if not records:
        return []
    predicted = np.array([r.p_best for r in records])
    truth = np.array([r.truly_best for r in records], dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(predicted, edges) - 1, 0, bins - 1)
    table = []
    for b in range(bins):
        members = index == b
        if not members.any():
            continue
        table.append(
            CalibrationBin(
                low=float(edges[b]),
                high=float(edges[b + 1]),
                count=int(members.sum()),
                predicted=float(predicted[members].mean()),
                observed=float(truth[members].mean()),
            )
        )
    return table


VOLUME_EDGES = (0.0, 20.0, 50.0, 100.0, 200.0, float("inf"))
"""Weekly conversions of the truly best creative on the whole budget, the bins of
:func:`by_volume`."""


@dataclass(frozen=True)
class VolumeBin:
    low: float
    high: float
    campaigns: int
    means: dict[str, float]
    """Mean share of the oracle per policy."""


def by_volume(
    runs: dict[str, list[Run]], weeks: int, edges: Sequence[float] = VOLUME_EDGES
) -> list[VolumeBin]:
    """Mean shares per policy, by how many conversions a week the campaign can yield.

    Few conversions a week make every estimate noisy; this shows where a learner loses
    against the clairvoyant. Every policy's list must hold the same seeds in order.
    """
    first = next(iter(runs.values()))
    volume = np.array([r.oracle / weeks for r in first])
    table = []
    for low, high in itertools.pairwise(edges):
        members = np.flatnonzero((volume >= low) & (volume < high))
        if members.size == 0:
            continue
        means = {
            name: float(np.mean([policy_runs[i].share for i in members]))
            for name, policy_runs in runs.items()
        }
        table.append(VolumeBin(float(low), float(high), int(members.size), means))
    return table


def winner_rate(runs: Sequence[Run]) -> float:
    """Share of campaigns in which a winner was declared at some week."""
    return sum(1 for r in runs if r.winners) / len(runs) if runs else 0.0


# --- World families, employers and earlier campaigns ------------------------------------

FAMILY_POLICIES = ("koers", "koers-prior", "koers-misleading", "thompson", "pbest")
FAMILY_TITLES = {
    "koers": "Koers engine, no earlier campaigns",
    "koers-prior": "Koers engine, 1-3 earlier campaigns of the employer",
    "koers-misleading": "Koers engine, an earlier campaign of another employer",
    "thompson": "Textbook Thompson sampling",
    "pbest": "Shares ∝ P(best)^5 (engine's beliefs, no earlier campaigns)",
}


@dataclass(frozen=True)
class FamilyJob:
    family: str
    seed: int
    weeks: int
    policies: tuple[str, ...]
    identical: bool = False


def family_campaigns(
    family: str, seed: int, weeks: int = 12, *, identical: bool = False
) -> tuple[Campaign, list[PriorCampaign], list[PriorCampaign]]:
    """A campaign of ``family``, its employer's 1-3 earlier campaigns, and a misleading one.

    The employer is drawn from the seed; earlier campaigns are of the same family (the
    same market) and employer. The misleading one is another employer's campaign.
    """
    world = WORLD_FAMILIES[family]
    employer = generate_employer(seed)
    campaign = generate_family_campaign(world, employer, seed * 100, weeks, identical=identical)
    count = 1 + seed % 3
    earlier = [
        earlier_campaign(
            generate_family_campaign(
                world, employer, seed * 100 + j + 1, weeks, identical=identical
            ),
            f"earlier-{j + 1}",
            ends_before=(count - 1 - j) * weeks + 1,
        )
        for j in range(count)
    ]
    stranger = generate_employer(seed + 500_000)
    misleading = [
        earlier_campaign(
            generate_family_campaign(world, stranger, seed * 100 + 50, weeks, identical=identical),
            "another-employer",
            ends_before=1,
        )
    ]
    return campaign, earlier, misleading


def make_family_policy(name: str) -> Policy:
    if name in ("koers", "koers-prior", "koers-misleading"):
        return KoersPolicy(name=FAMILY_TITLES[name])
    if name == "thompson":
        return TextbookThompson()
    if name == "pbest":
        return KoersPolicy(
            AllocationPolicy(allocation_rule="probability_power"), name=FAMILY_TITLES[name]
        )
    raise ValueError(f"unknown policy {name!r}; known: {', '.join(FAMILY_TITLES)}")


def _play_family(job: FamilyJob) -> dict[str, Run]:
    campaign, earlier, misleading = family_campaigns(
        job.family, job.seed, job.weeks, identical=job.identical
    )
    priors = {"koers-prior": earlier, "koers-misleading": misleading}

    def factory(name: str) -> Callable[[], Policy]:
        return lambda: make_family_policy(name)

    return {name: run(campaign, factory(name), priors.get(name, ())) for name in job.policies}


def family_study(
    family: str,
    seeds: Sequence[int],
    policies: Sequence[str] = FAMILY_POLICIES,
    *,
    weeks: int = 12,
    workers: int = 1,
    identical: bool = False,
) -> dict[str, list[Run]]:
    """Every policy on every seeded campaign of ``family``, in seed order."""
    jobs = [FamilyJob(family, seed, weeks, tuple(policies), identical) for seed in seeds]
    if workers > 1:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            results = pool.map(_play_family, jobs, chunksize=4)
    else:
        results = [_play_family(job) for job in jobs]
    return {name: [result[name] for result in results] for name in policies}
